import Foundation
import GlimpseCore
import GlimpseModels

/// Training of a masking model in the reference's two phases, each a resumable `TrainingLoop` run:
/// phase 1 trains only the class-selector embedding on the existence logits (cross-entropy, fake selectors with
/// probability 0.5); phase 2 trains the decoder on the `MaskerObjective` (fake probability 0.3). Adam 1e-3, wd 1e-4.
public enum MaskerTraining {
    public struct Settings: Codable, Sendable, Equatable {
        public var phase1Epochs: Int
        public var phase2Epochs: Int
        public var batchSize: Int
        public var seed: UInt64
        public var learningRate: Float = 1e-3
        public var weightDecay: Float = 1e-4
        public var augmentation: Augmentation
        public var objective = MaskerObjective()

        public init(phase1Epochs: Int, phase2Epochs: Int, batchSize: Int, seed: UInt64, augmentation: Augmentation) {
            self.phase1Epochs = phase1Epochs; self.phase2Epochs = phase2Epochs; self.batchSize = batchSize
            self.seed = seed; self.augmentation = augmentation
        }
    }

    /// Progress of either phase.
    public typealias Report = (_ phase: Int, _ progress: TrainingProgress) -> Void

    /// Trains a masker for `classifier` on `data` (labels: true classes, or the classifier's own predictions),
    /// checkpointing into `folder/phase1` and `folder/phase2`, and writes the final masker into `folder`.
    /// `stopAfterPhase2Step` interrupts phase 2 after a checkpoint (the masker saved is then the partial one).
    public static func train(spec: MaskerSpec, classifier: any Classifier, data: LabeledImages, settings: Settings,
                             folder: URL, resume: Bool = false, stopAfterPhase2Step: Int? = nil, report: Report = { _, _ in }) throws -> (MaskingModel, [TrainingState]) {
        try spec.check()
        guard data.channels == classifier.inputChannels, data.height == spec.inputSize, data.width == spec.inputSize else {
            throw TrainingError.dataset("the masker for \(spec.model) needs \(classifier.inputChannels)×\(spec.inputSize)×\(spec.inputSize) images, the data has \(data.channels)×\(data.height)×\(data.width)")
        }
        var parameters = try spec.initialParameters(seed: settings.seed)
        let keyOrder = spec.shapes().map(\.0)
        var states: [TrainingState] = []
        for phase in 1...2 {
            let epochs = phase == 1 ? settings.phase1Epochs : settings.phase2Epochs
            guard epochs > 0 else { continue }
            var objective = settings.objective
            if phase == 1 { objective.fakeProbability = 0.5 }
            let steps = epochs * (data.count / settings.batchSize)
            let config = try TrainingConfig(epochs: epochs, batchSize: settings.batchSize, seed: settings.seed &+ UInt64(phase),
                                            optimizer: .adam(weightDecay: settings.weightDecay),
                                            schedule: LearningRateSchedule(base: settings.learningRate,
                                                                           shape: .step(every: max(1, steps / 2), gamma: 0.1)),
                                            augmentation: settings.augmentation, checkpointEvery: 50)
            var loop = try TrainingLoop(config: config, exampleCount: data.count, folder: folder.appendingPathComponent("phase\(phase)"),
                                        label: "\(spec.model) masker phase \(phase)")
            loop.metadata = ["model": spec.model, "phase": "\(phase)"]
            let state = try loop.run(parameters: &parameters, trainableKeys: phase == 1 ? spec.selectorKeys : spec.decoderKeys,
                                     keyOrder: keyOrder, resume: resume, stopAfterStep: phase == 2 ? stopAfterPhase2Step : nil, step: { indices, rng, tracked in
                let (raw, labels) = data.batch(indices)
                let x = try settings.augmentation.apply(raw, rng: &rng)
                let (selectors, isReal) = objective.selectors(labels: labels, classCount: spec.classCount, rng: &rng)
                let features = try withoutGradient { try classifier.run(x, capturing: Set(spec.layers)) }
                let f = try spec.layers.map { try features.layer($0).detached() }
                if phase == 1 {
                    let out = try MaskerNetwork.forward(spec, tracked, features: f, selectors: selectors, training: false)
                    let target = isReal.map { $0 ? 1 : 0 }
                    let predicted = out.existence.scalars
                    let correct = (0..<labels.count).filter { (predicted[2 * $0 + 1] > predicted[2 * $0]) == isReal[$0] }.count
                    return StepOutput(loss: try out.existence.crossEntropy(labels: target), correct: correct, seen: labels.count)
                }
                let out = try MaskerNetwork.forward(spec, tracked, features: f, selectors: selectors, training: true)
                let terms = try objective.loss(classifier: classifier, x: x, low: out.mask, labels: labels, isReal: isReal, rng: &rng)
                return StepOutput(loss: terms.total, correct: terms.preservedCorrect, seen: isReal.filter { $0 }.count,
                                  statistics: out.statistics)
            }, progress: { report(phase, $0) })
            states.append(state)
        }
        let masker = try MaskingModel(spec: spec, classifier: classifier, parameters: parameters)
        try masker.save(to: folder)
        return (masker, states)
    }
}
