import GlimpseCore
import GlimpseModels

/// The guided-backprop alignment regularizer of "A Learning Paradigm for Interpretable Gradients"
/// (Torres Figueroa et al., VISAPP 2024): L = CE + λ·mean_i(1 − cos(δ_i, δ′_i)), where δ = ∂y/∂x is the standard input
/// gradient of the ground-truth class score y and δ′ the guided-backpropagation input gradient of the same image.
///
/// δ is taken with `createGraph`, so L is differentiable in the weights through it (double backward); δ′ is a
/// constant target (stop-gradient), computed in a second pass with the weights held constant. Both passes use the
/// batch's batch-norm statistics, as the model trains.
public struct GradientAlignment: Codable, Sendable, Equatable {
    /// Weight λ of the alignment term (the paper's best: 7.5e-3).
    public var lambda: Float

    public init(lambda: Float = 7.5e-3) throws {
        self.lambda = lambda
        try validate()
    }

    func validate() throws {
        guard lambda >= 0, lambda.isFinite else { throw TrainingError.invalidSetting("gradient alignment weight λ must be finite and ≥ 0, found \(lambda)") }
    }

    func step(_ model: any TrainableClassifier, _ x: Tensor, labels: [Int], parameters: [String: Tensor]) throws -> StepOutput {
        let target = try GradientAlignment.guidedGradient(model, x, labels: labels, parameters: parameters)
        let (loss, logits, stats) = try self.loss(model, x, labels: labels, parameters: parameters, guidedTarget: target)
        return StepOutput(loss: loss, correct: ClassifierTraining.correctCount(logits, labels), seen: labels.count, statistics: stats)
    }

    /// CE + λ·mean(1 − cos(δ, target)) with δ the standard input gradient of the label scores (double-backward
    /// differentiable in `parameters`); also the logits and batch statistics of the pass.
    public func loss(_ model: any TrainableClassifier, _ x: Tensor, labels: [Int], parameters: [String: Tensor],
                     guidedTarget: Tensor) throws -> (loss: Tensor, logits: Tensor, statistics: [String: BatchStatistics]) {
        let xt = x.detached().requiringGradient()
        let (logits, stats) = try model.trainingLogits(xt, parameters: parameters)
        let standard = try gradient(of: logits.picking(labels).sum(), wrt: [xt], createGraph: true)[0]
        let misalignment = try 1 - GradientAlignment.cosines(standard, guidedTarget.detached()).mean()
        return (try logits.crossEntropy(labels: labels) + misalignment * lambda, logits, stats)
    }

    /// The guided-backpropagation input gradient of the label scores, with the weights held constant (a constant).
    public static func guidedGradient(_ model: any TrainableClassifier, _ x: Tensor, labels: [Int],
                                      parameters: [String: Tensor]) throws -> Tensor {
        let constants = parameters.detachedValues()
        return try withActivationGradient(.guided) {
            let xg = x.detached().requiringGradient()
            return try gradient(of: model.trainingLogits(xg, parameters: constants).logits.picking(labels).sum(), wrt: [xg])[0]
        }
    }

    /// Per-example cosine similarity [N] of two [N, ...] tensors (differentiable; 0 for an all-zero example).
    public static func cosines(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let axes = Array(1..<a.rank)
        let dot = try (a * b).sum(axes: axes)
        let norms = try (a.squared().sum(axes: axes) + 1e-20).sqrt() * (b.squared().sum(axes: axes) + 1e-20).sqrt()
        return try dot / norms
    }

    /// Mean cosine between the standard and the guided-backprop input gradients of the label scores of `model`
    /// in inference mode, over `images` [N, C, H, W] — what the regularizer raises.
    public static func meanCosine(_ model: any Classifier, images: Tensor, labels: [Int]) throws -> Double {
        func inputGradient(_ rule: ActivationGradient) throws -> Tensor {
            try withActivationGradient(rule) {
                let xt = images.detached().requiringGradient()
                return try gradient(of: model.forward(xt, pass: ForwardPass()).picking(labels).sum(), wrt: [xt])[0]
            }
        }
        let c = try cosines(inputGradient(.exact), inputGradient(.guided)).scalars
        return c.reduce(0) { $0 + Double($1) } / Double(max(c.count, 1))
    }
}
