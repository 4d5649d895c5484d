import Foundation
import GlimpseCore
import GlimpseModels
import Testing
import GlimpseTraining

/// Same seed ⇒ same weights, whether or not the run was interrupted and resumed.
@Suite struct ResumeTests {
    static func data() throws -> LabeledImages {
        var rng = SeededRNG(seed: 11)
        let n = 192
        let labels = (0..<n).map { _ in Int(rng.next() % 10) }
        // Class-dependent brightness so that there is something to learn.
        let pixels = labels.flatMap { label in (0..<784).map { _ in min(1, Float(label) / 10 + 0.3 * rng.nextUniform()) } }
        return try LabeledImages(pixels: pixels, labels: labels, channels: 1, height: 28, width: 28, classCount: 10)
    }

    static func config(_ optimizer: OptimizerKind) throws -> TrainingConfig {
        try TrainingConfig(epochs: 2, batchSize: 32, seed: 4, optimizer: optimizer,
                           schedule: LearningRateSchedule(base: 0.01, shape: .cosine(total: 10, minimum: 0), warmupSteps: 2),
                           augmentation: .fashionMNIST, checkpointEvery: 4)
    }

    static func model() throws -> FashionCNN { try FashionCNN(stateDict: FashionCNN.initialStateDict(widths: [4, 8, 8], seed: 2)) }

    @Test(arguments: [OptimizerKind.adamW(), .sgd(momentum: 0.9, nesterov: true, weightDecay: 1e-4)])
    func interruptedRunEndsWithTheSameWeights(_ optimizer: OptimizerKind) throws {
        let data = try Self.data(), config = try Self.config(optimizer)
        let straight = try Self.model()
        let full = try ClassifierTraining.train(straight, on: data, evaluation: data, config: config, folder: nil)
        #expect(full.step == 12 && full.history.count == 2)

        let folder = try Support.temporaryFolder("resume")
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try Self.model()
        let stopped = try ClassifierTraining.train(first, on: data, evaluation: data, config: config, folder: folder, stopAfterStep: 5)
        #expect(stopped.step == 5)
        // A new process: fresh model object, everything else from the folder (steps 5 and 6 straddle a checkpoint at 4).
        let second = try Self.model()
        let resumed = try ClassifierTraining.train(second, on: data, evaluation: data, config: config, folder: folder, resume: true)
        #expect(resumed.step == 12)
        for key in straight.parameters.keys.sorted() {
            #expect(second.parameters[key]!.scalars == straight.parameters[key]!.scalars, "parameter \(key) differs after resume")
        }
        #expect(resumed.history.map(\.loss) == full.history.map(\.loss))
        #expect(resumed.history.map(\.evaluationAccuracy) == full.history.map(\.evaluationAccuracy))
        // The saved model loads through the model zoo and gives the same logits.
        let loaded = try ModelZoo.load(FashionCNN.arch, weights: folder.appendingPathComponent(Checkpoint.modelFile))
        let (x, _) = data.batch([0, 1, 2])
        #expect(try loaded.logits(x).scalars == straight.logits(x).scalars)
        // Only the last checkpoint's files remain.
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("params-") }
        #expect(files == ["params-12.safetensors"])
    }

    @Test func resumeWithOtherSettingsOrNoCheckpointIsAnError() throws {
        let data = try Self.data()
        let folder = try Support.temporaryFolder("resume-settings")
        defer { try? FileManager.default.removeItem(at: folder) }
        try ClassifierTraining.train(try Self.model(), on: data, config: Self.config(.adamW()), folder: folder, stopAfterStep: 2)
        var other = try Self.config(.adamW())
        other.seed = 5
        #expect(throws: TrainingError.self) { try ClassifierTraining.train(try Self.model(), on: data, config: other, folder: folder, resume: true) }
        try Data("{".utf8).write(to: folder.appendingPathComponent(Checkpoint.stateFile))
        #expect(throws: TrainingError.self) { try Checkpoint.load(from: folder) }
        #expect(throws: TrainingError.self) { try Checkpoint.load(from: folder.appendingPathComponent("missing")) }
    }

    @Test func runningStatisticsFollowPyTorch() throws {
        // One step with a tiny learning rate: running mean = 0.9·0 + 0.1·batch mean; running var = 0.9·1 + 0.1·unbiased var.
        let data = try Self.data()
        let model = try Self.model()
        let config = try TrainingConfig(epochs: 1, batchSize: 192, seed: 0, optimizer: .sgd(momentum: 0, nesterov: false, weightDecay: 0),
                                        schedule: LearningRateSchedule(base: 1e-30))
        let before = model.parameters
        try ClassifierTraining.train(model, on: data, config: config, folder: nil)
        let (x, _) = data.batch(Array(0..<192))
        let conv = try Tensor.conv2d(model.normalizedInput(x), filter: before["conv1.weight"]!, options: .init(stride: 1, padding: 1))
        let mean = try conv.mean(axes: [0, 2, 3]).scalars
        let n = Float(192 * 28 * 28)
        let variance = try (conv - conv.mean(axes: [0, 2, 3], keepDims: true)).squared().mean(axes: [0, 2, 3]).scalars.map { $0 * n / (n - 1) }
        for c in 0..<4 {
            #expect(abs(model.parameters["bn1.running_mean"]![c] - 0.1 * mean[c]) < 1e-4)
            #expect(abs(model.parameters["bn1.running_var"]![c] - (0.9 + 0.1 * variance[c])) < 1e-3)
        }
    }
}
