import Foundation
import GlimpseCore
import GlimpseModels

/// Result of a feature-visualization run.
public struct Rendering {
    /// Final images [B, 3, H, W] in [0, 1] (untransformed).
    public let images: Tensor
    /// Objective value at every step, on that step's transformed images, before the update.
    public let history: [Float]
    /// Median wall time of one step (forward, backward and update of the whole batch), in milliseconds.
    public let millisecondsPerStep: Double
    /// Wall time of the whole run, in seconds.
    public let seconds: Double
}

/// Activation maximisation (Olah et al. 2017, Lucid's `render_vis`): optimises an image parameterization with
/// Adam so that the objective of randomly transformed images is maximal. Everything random (initial parameters,
/// transforms) comes from one seed: same seed, same images, bit for bit.
public struct Renderer {
    /// Optimisation steps (Lucid: 512).
    public var steps = 512
    /// Adam learning rate (Lucid: 0.05).
    public var learningRate: Float = 0.05
    /// Transforms applied before every forward pass (default: Lucid's standard transforms).
    public var transforms = ImageTransform.standard
    /// Steps at the start that use Lucid's redirected ReLU/ReLU6 gradient (it revives units that are dead for an
    /// image, which would otherwise give no gradient at all).
    public var redirectedSteps = 16

    public init() {}

    /// Runs the optimisation; `progress` is called after every step with (steps done, objective value).
    public func render(model: any Classifier, objective: Objective, parameterization: ImageParameterization, seed: UInt64,
                       progress: ((Int, Float) -> Void)? = nil) throws -> Rendering {
        guard steps >= 1 else { throw VisError.badOption("steps must be at least 1, found \(steps)") }
        guard learningRate > 0 else { throw VisError.badOption("the learning rate must be positive, found \(learningRate)") }
        let known = Set(model.layerPaths)
        if let unknown = objective.layers.sorted().first(where: { !known.contains($0) }) {
            throw ModelError.unknownLayer(unknown, known: model.layerPaths)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        var rng = SeededRNG(seed: seed)
        var parameters = parameterization.initialParameters(rng: &rng)
        var adam = Adam(learningRate: learningRate)
        var history: [Float] = [], times: [Double] = []
        for step in 0..<steps {
            let stepStart = DispatchTime.now().uptimeNanoseconds
            let rule: ActivationGradient = step < redirectedSteps ? .redirected : .exact
            let (value, grad) = try withActivationGradient(rule) { () throws -> (Float, Tensor) in
                let p = parameters.requiringGradient()
                let x = try ImageTransform.apply(transforms, to: parameterization.image(p), rng: &rng)
                let value = try objective.value(model.run(x, capturing: objective.layers))
                return (value.scalar, try gradient(of: -value, wrt: [p])[0])
            }
            guard value.isFinite else { throw VisError.diverged(step: step, value: value) }
            try adam.update(&parameters, gradient: grad)
            history.append(value)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - stepStart) / 1e6)
            progress?(step + 1, value)
        }
        let images = try withoutGradient { try parameterization.image(parameters) }
        return Rendering(images: images, history: history, millisecondsPerStep: times.sorted()[times.count / 2],
                         seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
}
