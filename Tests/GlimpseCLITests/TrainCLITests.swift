import Foundation
import Testing

/// `glimpse train`, `glimpse masker` and `glimpse saliency --method rts`: quick runs on a few Fashion-MNIST images.
@Suite(.serialized, .enabled(if: CLI.ready && FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")))
struct TrainCLITests {
    static func folder(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-cli-\(name)-\(getpid())")
    }

    @Test func badOptionsAreOneLineErrors() throws {
        for args in [["train", "--dataset", "cifar", "--out", "/tmp/x"], ["train", "--arch", "vgg", "--out", "/tmp/x"],
                     ["masker", "train", "--model", "fmnist-cnn", "--data", "fashion-mnist", "--out", "/tmp/x"],
                     ["saliency", "--method", "rts", CLI.photos.appendingPathComponent("chelsea.png").path]] {
            let r = try CLI.run(args)
            #expect(r.status != 0, "\(args)")
            #expect(r.err.split(separator: "\n").filter { $0.hasPrefix("Error") }.count == 1, "\(args): \(r.err)")
        }
    }

    @Test func trainResumeMaskerAndRTSSaliency() throws {
        let run = Self.folder("train"), masker = Self.folder("masker"), maps = Self.folder("maps")
        defer { for f in [run, masker, maps] { try? FileManager.default.removeItem(at: f) } }
        let train = ["train", "--limit", "256", "--batch-size", "64", "--epochs", "1", "--widths", "4,8,8", "--out", run.path]
        let first = try CLI.run(train)
        #expect(first.status == 0, "\(first.err)")
        #expect(first.err.contains("epoch 1: loss"))
        let state = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("state.json"))) as? [String: Any]
        #expect(state?["step"] as? Int == 4)
        let again = try CLI.run(train + ["--resume"])
        #expect(again.status == 0)
        let weights = run.appendingPathComponent("model.safetensors").path
        let m = try CLI.run(["masker", "train", "--model", "fmnist-cnn", "--weights", weights, "--data", "fashion-mnist",
                             "--limit", "64", "--batch-size", "32", "--out", masker.path])
        #expect(m.status == 0, "\(m.err)")
        let s = try CLI.run(["saliency", "--model", "fmnist-cnn", "--weights", weights, "--method", "rts,gradcam", "--masker", masker.path,
                             "--npy", maps.path, "--png", maps.path, CLI.photos.appendingPathComponent("chelsea.png").path])
        #expect(s.status == 0, "\(s.err)")
        let files = try FileManager.default.contentsOfDirectory(atPath: maps.path)
        #expect(files.contains { $0.hasPrefix("chelsea_rts_") && $0.hasSuffix(".npy") })
        #expect(files.contains { $0.hasPrefix("chelsea_rts_") && $0.hasSuffix(".png") })
    }
}
