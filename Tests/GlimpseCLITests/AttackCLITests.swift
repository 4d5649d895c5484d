import Foundation
import Testing

@Suite(.enabled(if: CLI.ready)) struct AttackCLITests {
    @Test func attackWritesImagesMapsAndRecord() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-attack-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try CLI.run(["attack", "--method", "advedge+", "--interpreter", "gradcam", "--preset", "quick", "--warm-start", "3",
                             "--steps", "2", "--out", out.path, CLI.photos.appendingPathComponent("chelsea.png").path])
        #expect(r.status == 0, "\(r.err)")
        let stem = "chelsea_advedge+_gradcam"
        for suffix in ["_adv.png", "_perturbation.png", "_map_clean.png", "_map_adv.png", "_map_clean.npy", "_map_adv.npy", "_record.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(stem + suffix).path), "\(suffix) missing")
        }
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent(stem + "_record.json"))) as? [String: Any]
        #expect(record?["method"] as? String == "advedge+" && record?["preset"] as? String == "quick")
        #expect((record?["linf"] as? Double ?? 1) <= 0.031 + 1e-6)
        #expect((record?["iou"] as? [Double])?.count == 9)
    }

    @Test func interpreterAttacksRunInTheCWAndStAdvFrameworks() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-attack-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        for framework in ["cw", "stadv"] {
            let r = try CLI.run(["attack", "--method", "adv2", "--framework", framework, "--interpreter", "cam", "--preset", "quick",
                                 "--warm-start", "2", "--steps", "2", "--out", out.path, CLI.photos.appendingPathComponent("chelsea.png").path])
            #expect(r.status == 0, "\(r.err)")
            let url = out.appendingPathComponent("chelsea_adv2-\(framework)_cam_record.json")
            let record = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
            #expect(record?["method"] as? String == "adv2-\(framework)")
        }
    }

    @Test func attackRejectsBadOptionsInOneLine() throws {
        for args in [["--method", "nope"], ["--interpreter", "sobel"], ["--preset", "slow"], ["--goal", "sideways"],
                     ["--interpreter", "rts"], ["--framework", "sideways"], ["--method", "pgd", "--framework", "cw"],
                     ["--method", "adv2", "--interpreter", "rts", "--masker", "/nonexistent"]] {
            let r = try CLI.run(["attack"] + args + ["--out", "/tmp/unused", CLI.photos.appendingPathComponent("chelsea.png").path])
            #expect(r.status != 0, "\(args)")
            #expect(r.err.hasPrefix("Error: ") && !r.err.contains("Fatal"), "\(args): \(r.err)")
        }
    }
}
