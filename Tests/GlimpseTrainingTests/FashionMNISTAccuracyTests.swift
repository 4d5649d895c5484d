import Foundation
import GlimpseModels
import Testing
import GlimpseTraining

/// The recipe of `glimpse train` reaches ≥ 91% test accuracy. The trained run is kept in
/// `$GLIMPSE_CACHE/test-runs/fmnist-cnn-seed0` and reused by later runs of this test and by the masker tests.
@Suite(.serialized) struct FashionMNISTAccuracyTests {
    static let epochs = 5

    /// The trained network: loaded from the cached run folder when it is complete, else trained (resuming a partial run).
    static func trainedModel() throws -> (FashionCNN, TrainingState) {
        let folder = Support.cache.appendingPathComponent("test-runs/fmnist-cnn-seed0")
        let train = try FashionMNIST.load(.train), test = try FashionMNIST.load(.test)
        let config = try FashionMNISTRecipe.config(epochs: epochs, exampleCount: train.count, seed: 0)
        let model = try FashionCNN(stateDict: FashionCNN.initialStateDict(seed: 0))
        let state = try ClassifierTraining.train(model, on: train, evaluation: test, config: config, folder: folder, resume: true)
        return (model, state)
    }

    @Test(.enabled(if: Support.fashionMNISTPresent, "needs the Debian package dataset-fashion-mnist"))
    func reachesNinetyOnePercent() throws {
        let (model, state) = try Self.trainedModel()
        let accuracy = try ClassifierTraining.accuracy(of: model, on: FashionMNIST.load(.test))
        print(String(format: "fmnist-cnn: test accuracy %.2f%%; epoch seconds %@", 100 * accuracy,
                     state.history.map { String(format: "%.1f", $0.seconds) }.joined(separator: ", ")))
        #expect(accuracy >= 0.91)
        #expect(state.history.last?.evaluationAccuracy == accuracy)
    }
}
