import Foundation
import Testing

/// `glimpse visualize`: the multi-layer gallery with resume, objectives with diversity, the class-agnostic mode, errors.
@Suite(.enabled(if: CLI.ready)) struct VisualizeCLITests {
    static func folder(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-vis-\(name)-\(getpid())")
    }

    @Test func layersGridAndResume() throws {
        let dir = Self.folder("grid")
        defer { try? FileManager.default.removeItem(at: dir) }
        let args = ["visualize", "--layers", "_blocks.2,_blocks.4", "--channels", "0-2", "--batch", "2", "--steps", "3",
                    "--size", "64", "--grid", "--out", dir.path]
        let first = try CLI.run(args)
        #expect(first.status == 0, "\(first.err)")
        for layer in ["_blocks.2", "_blocks.4"] {
            for c in 0...2 {
                for ext in ["png", "json"] { #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("\(layer)_\(c).\(ext)").path)) }
            }
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("grid_\(layer).png").path))
        }
        let png = try Data(contentsOf: dir.appendingPathComponent("_blocks.4_2.png"))
        // Remove one channel of the second chunk of _blocks.2: only that chunk (channel 2) is rendered again, identically.
        let redo = dir.appendingPathComponent("_blocks.2_2.json")
        let before = try Data(contentsOf: redo)
        try FileManager.default.removeItem(at: redo)
        let second = try CLI.run(args)
        #expect(second.status == 0, "\(second.err)")
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("visualize.json"))) as? [String: Any]
        #expect(doc?["skippedAlreadyDone"] as? Int == 5)
        #expect((doc?["runs"] as? [[String: Any]])?.count == 6)
        #expect(try Data(contentsOf: dir.appendingPathComponent("_blocks.4_2.png")) == png)
        let again = try JSONSerialization.jsonObject(with: Data(contentsOf: redo)) as? [String: Any]
        let old = try JSONSerialization.jsonObject(with: before) as? [String: Any]
        #expect(again?["finalObjective"] as? Double == old?["finalObjective"] as? Double)
    }

    @Test func objectiveWithDiversityMacoAndSGD() throws {
        let dir = Self.folder("objective")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["visualize", "--objective", "_blocks.4:3", "--batch", "2", "--diversity", "10", "--param", "maco",
                             "--optimizer", "sgd", "--lr", "0.5", "--spectral", "1", "--steps", "3", "--size", "64", "--out", dir.path])
        #expect(r.status == 0, "\(r.err)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("_blocks.4_3_1.png").path))
    }

    @Test func perInputPadsDecayAndExactGradientAreSeededAndWiredThrough() throws {
        func png(_ name: String, _ extra: [String]) throws -> Data {
            let dir = Self.folder(name)
            defer { try? FileManager.default.removeItem(at: dir) }
            let r = try CLI.run(["visualize", "--layer", "_blocks.10", "--channels", "7", "--batch", "1", "--steps", "4",
                                 "--size", "72", "--transforms", "lucent", "--redirected-steps", "0", "--lr-decay", "0.5",
                                 "--seed", "3", "--out", dir.path] + extra)
            #expect(r.status == 0, "\(r.err)")
            let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("visualize.json"))) as? [String: Any]
            #expect(doc?["padsPerInput"] as? Bool == extra.contains("--pads-per-input"))
            #expect(doc?["lrDecayFraction"] as? Double == 0.5 && doc?["redirectedReluSteps"] as? Int == 0)
            return try Data(contentsOf: dir.appendingPathComponent("_blocks.10_7.png"))
        }
        let a = try png("pads-a", ["--pads-per-input"]), b = try png("pads-b", ["--pads-per-input"])
        #expect(a == b)
        // 72 → 36 → 18 → 9: the fourth stride-2 layer sees odd sides, where per-input pads change the network.
        #expect(try png("pads-c", []) != a)
    }

    @Test func classAgnosticFromPhotos() throws {
        let dir = Self.folder("agnostic")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["visualize", "--class-agnostic", "--images", CLI.photos.path, "--layer", "_blocks.6",
                             "--targets", "clusters:2", "--start", "images", "--l1-layer", "_blocks.2", "--l1", "0.1",
                             "--steps", "3", "--size", "64", "--out", dir.path])
        #expect(r.status == 0, "\(r.err)")
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("visualize.json"))) as? [String: Any]
        #expect((doc?["runs"] as? [[String: Any]])?.count == 2)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("target_1.png").path))
    }

    @Test(arguments: [
        ["--layer", "_blocks.4", "--channels", "0", "--diversity", "3"],
        ["--layers", "_blocks.4,nope", "--channels", "0"],
        ["--layer", "_blocks.4", "--channels", "999"],
        ["--layer", "_blocks.4", "--param", "maco", "--spectrum", "/nonexistent.npy"],
        ["--class-agnostic", "--layer", "_blocks.4"],
        ["--class-agnostic", "--layer", "_blocks.4", "--images", "/nonexistent", "--param", "maco", "--start", "images"],
        ["--objective", "prob:x"],
        ["--layer", "_blocks.4", "--optimizer", "lbfgs"],
        ["--layer", "_blocks.4", "--lr-decay", "1.5"],
        ["--layer", "_blocks.4", "--redirected-steps", "-1"],
    ])
    func badInputGivesOneLineAndNonZeroExit(extra: [String]) throws {
        let dir = Self.folder("bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["visualize", "--steps", "1", "--size", "64", "--out", dir.path] + extra)
        #expect(r.status != 0)
        #expect(!r.err.isEmpty && !r.err.contains("Fatal error"), "\(extra): \(r.err)")
    }
}
