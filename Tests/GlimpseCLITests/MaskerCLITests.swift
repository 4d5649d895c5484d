import Foundation
import Testing

/// `glimpse masker train --mask-scale 1` and `glimpse masker eval`: a tiny CNN and masker, evaluated on a few test images.
@Suite(.serialized, .enabled(if: CLI.ready && FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")))
struct MaskerCLITests {
    @Test func badMaskerOptionsAreOneLineErrors() throws {
        for args in [["masker", "train", "--model", "fmnist-cnn", "--weights", "/tmp/w", "--data", "fashion-mnist", "--out", "/tmp/x", "--mask-scale", "3"],
                     ["masker", "train", "--model", "fmnist-cnn", "--weights", "/tmp/w", "--data", "fashion-mnist", "--out", "/tmp/x", "--smooth-weight", "-1"],
                     ["masker", "train", "--model", "fmnist-cnn", "--weights", "/tmp/w", "--data", "fashion-mnist", "--out", "/tmp/x", "--destroyer-weight", "-1"],
                     ["masker", "train", "--model", "fmnist-cnn", "--weights", "/tmp/w", "--data", "fashion-mnist", "--out", "/tmp/x", "--area-power", "0"],
                     ["masker", "train", "--model", "fmnist-cnn", "--weights", "/tmp/w", "--data", "fashion-mnist", "--out", "/tmp/x", "--blur-probability", "1.5"],
                     ["masker", "eval", "--model", "fmnist-cnn", "--weights", "/tmp/w", "--masker", "/tmp/x", "--count", "0"],
                     ["masker", "eval", "--model", "fmnist-cnn", "--weights", "/tmp/w", "--masker", "/tmp/x", "--thresholds", "0.2,2"]] {
            let r = try CLI.run(args)
            #expect(r.status != 0, "\(args)")
            #expect(r.err.split(separator: "\n").filter { $0.hasPrefix("Error") }.count == 1, "\(args): \(r.err)")
        }
    }

    @Test func fullResolutionMaskerTrainsAndEvaluates() throws {
        let tmp = FileManager.default.temporaryDirectory
        let run = tmp.appendingPathComponent("glimpse-cli-mcnn-\(getpid())"), masker = tmp.appendingPathComponent("glimpse-cli-m28-\(getpid())")
        let json = tmp.appendingPathComponent("glimpse-cli-meval-\(getpid()).json")
        defer { for f in [run, masker, json] { try? FileManager.default.removeItem(at: f) } }
        let train = try CLI.run(["train", "--limit", "128", "--batch-size", "64", "--epochs", "1", "--widths", "4,8,8", "--out", run.path])
        #expect(train.status == 0, "\(train.err)")
        let weights = run.appendingPathComponent("model.safetensors").path
        let m = try CLI.run(["masker", "train", "--model", "fmnist-cnn", "--weights", weights, "--data", "fashion-mnist", "--limit", "32",
                             "--batch-size", "32", "--mask-scale", "1", "--destroyer-weight", "2", "--area-power", "0.5", "--blur-probability", "0",
                             "--out", masker.path])
        #expect(m.status == 0, "\(m.err)")
        let spec = try JSONSerialization.jsonObject(with: Data(contentsOf: masker.appendingPathComponent("masker.json"))) as? [String: Any]
        #expect(spec?["layers"] as? [String] == ["relu3", "relu2", "relu1"])
        let e = try CLI.run(["masker", "eval", "--model", "fmnist-cnn", "--weights", weights, "--masker", masker.path, "--count", "3",
                             "--thresholds", "0.3,0.6", "--json", json.path])
        #expect(e.status == 0, "\(e.err)")
        #expect(e.out.contains("| rts |"))
        let rows = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [[String: Any]] ?? []
        #expect(rows.map { $0["method"] as? String } == ["whole image", "random map", "rts", "gradcam", "vanilla"])
        for row in rows.dropFirst() {
            for key in ["deletion", "insertion", "tied"] {
                let v = row[key] as? Double ?? -1
                #expect((0...1).contains(v), "\(row)")
            }
        }
        for row in rows.dropFirst(2) { #expect([0.3, 0.6].contains { abs($0 - (row["threshold"] as? Double ?? 0)) < 1e-6 }, "\(row)") }
        // The inference confidence gates the deepest features: a large one changes the rts masks, not the other maps.
        let gated = try CLI.run(["masker", "eval", "--model", "fmnist-cnn", "--weights", weights, "--masker", masker.path, "--count", "3",
                                 "--thresholds", "0.3,0.6", "--confidence", "50", "--json", json.path])
        #expect(gated.status == 0, "\(gated.err)")
        let gatedRows = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [[String: Any]] ?? []
        func value(_ table: [[String: Any]], _ method: String) -> Double? { table.first { $0["method"] as? String == method }?["deletion"] as? Double }
        #expect(value(gatedRows, "rts") != value(rows, "rts") && value(gatedRows, "vanilla") == value(rows, "vanilla"))
        #expect(try CLI.run(["masker", "eval", "--model", "fmnist-cnn", "--weights", weights, "--masker", masker.path, "--confidence", "nan"]).status != 0)
    }
}
