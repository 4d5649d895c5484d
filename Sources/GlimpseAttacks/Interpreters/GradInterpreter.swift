import GlimpseCore
import GlimpseModels

/// Gradient saliency as ADV² attacks it (Simonyan et al. 2014; ADV², Zhang et al., USENIX Security 2020):
/// `GS(x) = minmax( avgpool_k( max_c |∂CE(f(x), y)/∂x| ) )`, 56×56 for a 224² input with k = 4, min-max per image
/// `(v − min)/max(max, 1e-8)`.
///
/// During the attack the gradient is taken with `createGraph` while ReLU/ReLU6 use the smooth surrogate of ADV²
/// (`ActivationGradient.smooth(tau:)`, τ = 1e-4) in the backward pass, so the map has a non-zero gradient
/// (double backward); the clean and evaluation maps use the exact model. Unlike ADV²'s code, both differentiate
/// with respect to the [0, 1] image (ADV²'s attack map takes the normalised input: a per-channel 1/std factor).
public struct GradInterpreter: AttackableInterpreter {
    public let name = "grad"
    /// Side of the average pooling window.
    public var pool: Int
    /// τ of the smooth surrogate.
    public var tau: Float

    public init(pool: Int = 4, tau: Float = 1e-4) {
        self.pool = pool
        self.tau = tau
    }

    public var lossReduction: MapLossReduction { .sum }

    public func attackTerms(_ model: any Classifier, _ x: Tensor, classes: [Int]) throws -> (map: Tensor, logits: Tensor) {
        try InterpreterSupport.check(model, x, classes: classes)
        let logits = try model.run(x).logits
        let map = try withActivationGradient(.smooth(tau: tau)) { try saliency(model, x, classes: classes, createGraph: true) }
        return (map, logits)
    }

    public func map(_ model: any Classifier, _ x: Tensor, classes: [Int]) throws -> Tensor {
        try InterpreterSupport.check(model, x, classes: classes)
        return try withActivationGradient(.exact) {
            try saliency(model, x.detached(), classes: classes, createGraph: false).detached()
        }
    }

    /// The normalised map [N, H/k, W/k]; with `createGraph` it stays differentiable in x.
    func saliency(_ model: any Classifier, _ x: Tensor, classes: [Int], createGraph: Bool) throws -> Tensor {
        guard pool >= 1, x.shape[2] % pool == 0, x.shape[3] % pool == 0 else {
            throw AttackError.badParameter("the Grad interpreter's pooling \(pool) must divide the input size \(x.shape[2])×\(x.shape[3])")
        }
        let input = x.isTracked ? x : x.requiringGradient()
        let logits = try model.run(input).logits
        let ce = -(try InterpreterSupport.logProbability(logits, classes))
        let g = try gradient(of: ce, wrt: [input], createGraph: createGraph)[0]
        let channelMax = try g.abs().max(axes: [1], keepDims: true)
        let pooled = try channelMax.avgPool2d(kernel: pool)
        let n = x.shape[0]
        return try MapNormalization.minMax(pooled.reshaped([n, pooled.shape[2], pooled.shape[3]]), floor: 1e-8)
    }
}
