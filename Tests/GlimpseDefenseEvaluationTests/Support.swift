import Foundation
import GlimpseCore
import GlimpseDefenses
import GlimpseModels
import GlimpseTraining

/// The trained Fashion-MNIST CNN that GlimpseTrainingTests caches, and test images it classifies correctly.
enum Support {
    /// Where FashionMNISTAccuracyTests keeps its trained run (`$GLIMPSE_CACHE/test-runs/fmnist-cnn-seed0`).
    static var checkpoint: URL { DefenseEvaluation.cachedFashionCNNWeights }

    /// True when the checkpoint and the Fashion-MNIST test split are present.
    static var trainedModelPresent: Bool {
        FashionMNIST.isAvailable(.test) && FileManager.default.fileExists(atPath: checkpoint.path)
    }

    static let skipMessage = "needs the trained fmnist-cnn run of GlimpseTrainingTests (run FashionMNISTAccuracyTests first) and dataset-fashion-mnist"

    static func model() throws -> FashionCNN { try DefenseEvaluation.loadFashionCNN(checkpoint) }

    /// Test images from index `start` on: `count` of them, labels included.
    static func testImages(start: Int, count: Int) throws -> (images: Tensor, labels: [Int]) {
        try FashionMNIST.load(.test).batch(Array(start..<(start + count)))
    }
}
