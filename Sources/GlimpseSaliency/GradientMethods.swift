import GlimpseCore
import GlimpseModels

/// Gradient-based attributions. All gradients are with respect to the model's [0, 1] input image.
public enum GradientMethods {
    /// ∂ target / ∂ x for x [N, C, H, W], with the pass's ReLU rule `rule` (exact, guided, deconvnet, ...).
    public static func gradient(_ model: any Classifier, _ x: Tensor, target: SaliencyTarget,
                                rule: ActivationGradient = .exact) throws -> Tensor {
        try withActivationGradient(rule) {
            let input = x.detached().requiringGradient()
            let result = try model.run(input, capturing: target.layers)
            return try GlimpseCore.gradient(of: target.score(result), wrt: [input])[0]
        }
    }

    /// Gradient × input (Shrikumar et al. 2016).
    public static func gradientTimesInput(_ model: any Classifier, _ x: Tensor, target: SaliencyTarget) throws -> Tensor {
        let g = try gradient(model, x, target: target)
        return try withoutGradient { try g * x }
    }

    /// SmoothGrad (Smilkov et al. 2017): the mean gradient at `x + noise_i`. Noise is N(0, σ²) with
    /// σ = `noiseLevel` × (max(x) − min(x)), drawn from `rng`, unless explicit `noise` tensors are given.
    public static func smoothGrad(_ model: any Classifier, _ x: Tensor, target: SaliencyTarget, samples: Int = 25,
                                  noiseLevel: Float = 0.15, noise: [Tensor]? = nil, rng: inout SeededRNG) throws -> [Tensor] {
        guard samples >= 1 || noise != nil else { throw SaliencyError.badOption("SmoothGrad needs at least one sample") }
        let values = x.scalars
        let sigma = noiseLevel * ((values.max() ?? 0) - (values.min() ?? 0))
        let draws = noise ?? (0..<samples).map { _ in Tensor.normal(x.shape, std: sigma, rng: &rng) }
        return try draws.map { n in
            try n.checkShape(x.shape, "SmoothGrad noise")
            return try gradient(model, withoutGradient { try x + n }, target: target)
        }
    }

    /// Integrated Gradients (Sundararajan et al. 2017) with the right Riemann rule: α_k = k/steps, k = 1…steps,
    /// `IG = (x − x′) · mean_k ∂f/∂x (x′ + α_k (x − x′))` (the baseline itself is not evaluated, the input is).
    /// Paths are evaluated `batch` at a time.
    public static func integratedGradients(_ model: any Classifier, _ x: Tensor, target: SaliencyTarget, baseline: Tensor,
                                           steps: Int = 32, batch: Int = 8) throws -> Tensor {
        guard steps >= 1, batch >= 1 else { throw SaliencyError.badOption("Integrated Gradients needs steps >= 1 and batch >= 1") }
        try baseline.checkShape(x.shape, "Integrated Gradients baseline")
        guard x.shape.first == 1 else { throw SaliencyError.badOption("Integrated Gradients takes one image [1, C, H, W]") }
        let delta = try withoutGradient { try x - baseline }
        var total = Tensor(zeros: x.shape)
        var k = 1
        while k <= steps {
            let ks = Array(k...min(k + batch - 1, steps))
            let points = try withoutGradient { try Tensor.concatenate(ks.map { try baseline + delta * (Float($0) / Float(steps)) }, axis: 0) }
            let g = try gradient(model, points, target: target)
            total = try withoutGradient { try total + g.sum(axes: [0], keepDims: true) }
            k += ks.count
        }
        return try withoutGradient { try delta * total * (1 / Float(steps)) }
    }

    /// Guided backpropagation (Springenberg et al. 2015), with the ReLU6 rule for ReLU6 networks.
    public static func guidedBackprop(_ model: any Classifier, _ x: Tensor, target: SaliencyTarget) throws -> Tensor {
        try gradient(model, x, target: target, rule: .guided)
    }

    /// Guided Grad-CAM (Selvaraju et al. 2017): guided backpropagation [1, C, H, W] times the normalised Grad-CAM
    /// map of `layer` at the input resolution.
    public static func guidedGradCAM(_ model: any Classifier, _ x: Tensor, target: SaliencyTarget, layer: String) throws -> Tensor {
        let cam = try CAM.map(GradCAM(), model: model, x, layer: layer, target: target).map
        let guided = try guidedBackprop(model, x, target: target)
        return try withoutGradient { try guided * cam.reshaped([1, 1, x.shape[2], x.shape[3]]) }
    }

    /// Deconvnet (Zeiler & Fergus 2014).
    public static func deconvnet(_ model: any Classifier, _ x: Tensor, target: SaliencyTarget) throws -> Tensor {
        try gradient(model, x, target: target, rule: .deconvnet)
    }

    /// The usual map of an input attribution [1, C, H, W]: max over channels of the absolute value → [H, W].
    public static func maxAbsOverChannels(_ attribution: Tensor) throws -> Tensor {
        guard attribution.rank == 4, attribution.shape[0] == 1 else {
            throw SaliencyError.badOption("expected one attribution [1, C, H, W], found \(attribution.shape)")
        }
        return try withoutGradient { try attribution.abs().max(axes: [1]).reshaped([attribution.shape[2], attribution.shape[3]]) }
    }
}
