import Foundation
import GlimpseCore
import GlimpseFormats
import GlimpseModels

/// Supervised training of a `TrainableClassifier` on labelled images with cross-entropy.
public enum ClassifierTraining {
    /// Trains `model` on `data` (augmented per `config`), checkpointing into `folder`; evaluates on `evaluation`
    /// after each epoch when given. The model's parameters are updated in place.
    @discardableResult
    public static func train(_ model: any TrainableClassifier, on data: LabeledImages, evaluation: LabeledImages? = nil,
                             config: TrainingConfig, folder: URL?, resume: Bool = false, stopAfterStep: Int? = nil,
                             progress: (TrainingProgress) -> Void = { _ in }) throws -> TrainingState {
        guard data.channels == model.inputChannels, data.classCount <= model.classCount else {
            throw TrainingError.dataset("\(model.name) takes \(model.inputChannels)-channel images and \(model.classCount) classes; the data has \(data.channels) and \(data.classCount)")
        }
        try config.regularizer?.validate()
        var loop = try TrainingLoop(config: config, exampleCount: data.count, folder: folder, label: "\(model.name) classifier")
        loop.metadata = ["arch": model.name]
        var parameters = model.parameters
        let keyOrder = model.parameters.keys.sorted()
        let state = try loop.run(parameters: &parameters, trainableKeys: model.trainableKeys, keyOrder: keyOrder, resume: resume,
                                 stopAfterStep: stopAfterStep, step: { indices, rng, tracked in
            let (x, labels) = data.batch(indices)
            let input = try config.augmentation.apply(x, rng: &rng)
            return try (config.regularizer ?? .none).step(model, input, labels: labels, parameters: tracked, rng: &rng)
        }, evaluate: evaluation.map { set in { p in
            model.parameters = p
            return try accuracy(of: model, on: set)
        } }, progress: progress)
        model.parameters = parameters
        return state
    }

    /// Fraction of `data` that `model` classifies correctly (inference mode, batches of `batchSize`).
    public static func accuracy(of model: any Classifier, on data: LabeledImages, batchSize: Int = 500) throws -> Double {
        var correct = 0
        for start in stride(from: 0, to: data.count, by: batchSize) {
            let (x, labels) = data.batch(Array(start..<min(start + batchSize, data.count)))
            correct += correctCount(try model.logits(x), labels)
        }
        return Double(correct) / Double(max(data.count, 1))
    }

    /// Number of rows of logits [N, C] whose arg-max equals the label.
    public static func correctCount(_ logits: Tensor, _ labels: [Int]) -> Int {
        let c = logits.shape[1]
        return logits.withUnsafeBufferPointer { v in
            labels.enumerated().filter { i, label in
                let row = v[(i * c)..<((i + 1) * c)]
                return row.indices.max { row[$0] < row[$1] }! - i * c == label
            }.count
        }
    }
}
