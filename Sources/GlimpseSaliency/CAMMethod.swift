import GlimpseCore
import GlimpseModels

/// Everything a CAM method may use for one image: the explained layer's activations A [C, h, w], the target's
/// gradients G = ∂target/∂A [C, h, w], and the model, input and target for methods that run more forward passes.
public struct LayerEvidence {
    public let activations: Tensor
    public let gradients: Tensor
    public let model: any Classifier
    /// The image [1, C, H, W] in [0, 1].
    public let input: Tensor
    public let target: SaliencyTarget
    /// The explained layer's path (methods that run the network's tail resume there).
    public let layer: String

    public init(activations: Tensor, gradients: Tensor, model: any Classifier, input: Tensor, target: SaliencyTarget,
                layer: String = "") {
        self.layer = layer
        self.activations = activations
        self.gradients = gradients
        self.model = model
        self.input = input
        self.target = target
    }

    /// Number of channels C.
    public var channels: Int { activations.shape[0] }
}

/// A class activation map method: weights w that multiply the activations, and a raw map
/// `ReLU(Σ_k w_k ⊙ A_k)` unless the method overrides `rawMap`.
public protocol CAMMethod {
    /// Short name used on the command line.
    var name: String { get }
    /// The weights: [C, 1, 1] (one per channel) or [C, h, w] (one per activation, for element-wise methods).
    func channelWeights(_ evidence: LayerEvidence) throws -> Tensor
    /// The map at the layer's resolution [h, w], unscaled, after the final ReLU.
    func rawMap(_ evidence: LayerEvidence) throws -> Tensor
}

extension CAMMethod {
    public func rawMap(_ evidence: LayerEvidence) throws -> Tensor {
        let w = try channelWeights(evidence)
        return try withoutGradient { try (evidence.activations * w).sum(axes: [0]).relu() }
    }
}
