import GlimpseCore
import GlimpseModels

/// A training defense or interpretability regularizer: what one training step's loss is, beyond plain cross-entropy.
///
/// Part of `TrainingConfig`, so a checkpoint records it and a resume must use the same one.
public enum Regularizer: Codable, Sendable, Equatable {
    /// Cross-entropy only.
    case none
    /// PGD adversarial training (Madry et al.).
    case adversarial(AdversarialTraining)
    /// Cross-entropy + λ·(1 − cos(standard, guided-backprop input gradient)) ("A Learning Paradigm for Interpretable Gradients").
    case gradientAlignment(GradientAlignment)
    /// Contrastive Grad-CAM Consistency (Pillai et al.).
    case contrastiveGradCAM(ContrastiveGradCAM)
    /// Model Doctor's aggregated-gradient channel constraint (Feng et al.).
    case modelDoctor(ModelDoctor)

    /// Throws `TrainingError.invalidSetting` when a weight or attack setting is out of range.
    public func validate() throws {
        switch self {
        case .none: return
        case let .adversarial(a): try a.validate()
        case let .gradientAlignment(g): try g.validate()
        case let .contrastiveGradCAM(c): try c.validate()
        case let .modelDoctor(d): try d.validate()
        }
    }

    /// The loss of one batch `x` [N, C, H, W] in [0, 1] from the tracked `parameters`; random choices drawn from `rng`.
    public func step(_ model: any TrainableClassifier, _ x: Tensor, labels: [Int], parameters: [String: Tensor],
                     rng: inout SeededRNG) throws -> StepOutput {
        switch self {
        case .none:
            let (logits, stats) = try model.trainingLogits(x, parameters: parameters)
            return StepOutput(loss: try logits.crossEntropy(labels: labels), correct: ClassifierTraining.correctCount(logits, labels),
                              seen: labels.count, statistics: stats)
        case let .adversarial(a):
            let mixed = try a.mixedBatch(model, x, labels: labels, parameters: parameters, rng: &rng)
            return try Regularizer.none.step(model, mixed, labels: labels, parameters: parameters, rng: &rng)
        case let .gradientAlignment(g):
            return try g.step(model, x, labels: labels, parameters: parameters)
        case let .contrastiveGradCAM(c):
            return try c.step(model, x, labels: labels, parameters: parameters, rng: &rng)
        case let .modelDoctor(d):
            return try d.step(model, x, labels: labels, parameters: parameters)
        }
    }
}

extension [String: Tensor] {
    /// The same tensors cut off from the graph (constants for an inner pass).
    func detachedValues() -> [String: Tensor] { mapValues { $0.detached() } }
}
