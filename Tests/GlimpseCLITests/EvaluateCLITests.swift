import Foundation
import Testing

@Suite(.enabled(if: CLI.ready)) struct EvaluateCLITests {
    @Test func evaluateWritesResumableRecordsAndATable() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-evaluate-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("records.json").path
        let boxes = dir.appendingPathComponent("boxes.json")
        try Data(#"{"chelsea.png": [[60, 20, 224, 224]]}"#.utf8).write(to: boxes)
        let photo = CLI.photos.appendingPathComponent("chelsea.png").path
        let args = ["evaluate", "--method", "gradcam,reciprocam", "--metric", "deletion,insertion,adcc,pointing",
                    "--boxes", boxes.path, "--json", json, "--markdown", dir.appendingPathComponent("table.md").path, photo]
        let first = try CLI.run(args)
        #expect(first.status == 0, "\(first.err)")
        let records = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [[String: Any]]
        #expect(records?.count == 2)
        #expect(records?.first?["classIndex"] as? Int == 285)
        for r in records ?? [] {
            for key in ["deletion", "insertion", "adcc"] {
                let v = r[key] as? Double
                #expect(v != nil && v! >= 0 && v! <= 1, "\(key)")
            }
        }
        #expect(first.out.contains("| gradcam | 1 |") && first.out.contains("| reciprocam | 1 |"))
        // A second run finds both records and computes nothing new: the file is unchanged.
        let before = try Data(contentsOf: URL(fileURLWithPath: json))
        let second = try CLI.run(args)
        let after = try Data(contentsOf: URL(fileURLWithPath: json))
        #expect(second.status == 0 && after == before)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("table.md").path))
    }

    @Test func evaluateRejectsBadInputWithOneLine() throws {
        let photo = CLI.photos.appendingPathComponent("chelsea.png").path
        for args in [["evaluate", "--method", "nomethod", photo], ["evaluate", "--metric", "speed", photo],
                     ["evaluate", "--metric", "pointing", photo], ["evaluate", "--step", "0", photo],
                     ["evaluate", "--method", "sess:nothing", photo]] {
            let r = try CLI.run(args)
            #expect(r.status != 0, "\(args)")
            // One message line (ArgumentParser adds its two usage lines to option validation errors).
            let lines = r.err.split(separator: "\n")
            #expect(lines.count <= 3 && lines.first?.hasPrefix("Error: ") == true, "\(args): \(r.err)")
        }
    }
}
