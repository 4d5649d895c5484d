import Foundation
import GlimpseAttacks
import GlimpseCore
import GlimpseFormats
import GlimpseModels
import GlimpseTraining

/// The trained Fashion-MNIST CNN that GlimpseTrainingTests caches (`$GLIMPSE_CACHE/test-runs/fmnist-cnn-seed0`),
/// a masking model trained for it in a few seconds, and test images it classifies correctly.
enum FashionSupport {
    static var checkpoint: URL { ModelZoo.cacheDirectory.appendingPathComponent("test-runs/fmnist-cnn-seed0/model.safetensors") }

    static let present: Bool = {
        let ok = FashionMNIST.isAvailable(.test) && FileManager.default.fileExists(atPath: checkpoint.path)
        if !ok { print("skipped: needs dataset-fashion-mnist and the trained fmnist-cnn run of GlimpseTrainingTests (run FashionMNISTAccuracyTests first)") }
        return ok
    }()

    static func temporaryFolder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-attacks-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The CNN and a masker trained on 2048 test-split images (2 + 4 epochs, batch 64, seed 1) at its 14×14 grid.
    static let trained: (model: FashionCNN, masker: MaskingModel)? = {
        guard present else { return nil }
        do {
            let model = try FashionCNN(stateDict: Safetensors.load(contentsOf: checkpoint))
            let data = try FashionMNIST.load(.test)
            let (images, labels) = data.batch(Array(2000..<4048))
            let subset = try LabeledImages(pixels: images.scalars, labels: labels, channels: 1, height: 28, width: 28, classCount: 10)
            let folder = try temporaryFolder("masker")
            defer { try? FileManager.default.removeItem(at: folder) }
            let settings = MaskerTraining.Settings(phase1Epochs: 2, phase2Epochs: 4, batchSize: 64, seed: 1, augmentation: Augmentation())
            let masker = try MaskerTraining.train(spec: .fashionMNIST(widths: model.widths), classifier: model, data: subset,
                                                  settings: settings, folder: folder).0
            return (model, masker)
        } catch {
            print("Fashion-MNIST masker setup failed: \(error)")
            return nil
        }
    }()

    /// The first `count` test images the CNN classifies correctly, with their labels.
    static func correctImages(_ model: FashionCNN, count: Int) throws -> (Tensor, [Int]) {
        let (images, labels) = try FashionMNIST.load(.test).batch(Array(0..<(2 * count)))
        let predicted = Prediction.argmax(try model.logits(images))
        let keep = Array(labels.indices.filter { predicted[$0] == labels[$0] }.prefix(count))
        let x = try Tensor.concatenate(keep.map { try images.sliced(axis: 0, $0..<($0 + 1)) }, axis: 0)
        return (x, keep.map { labels[$0] })
    }
}
