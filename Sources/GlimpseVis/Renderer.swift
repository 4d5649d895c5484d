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
    /// MACO's transparency [B, 1, H, W]: Σ over steps of the channel-mean |∂loss/∂image|, where the optimisation
    /// worked on the image (nil unless `Renderer.accumulatesTransparency`).
    public let transparency: Tensor?
}

/// Activation maximisation (Olah et al. 2017, Lucid's `render_vis`): optimises an image parameterization with
/// Adam (or SGD with Nesterov momentum) so that the objective of randomly transformed images, minus the image
/// penalties of the untransformed images, is maximal. Everything random (initial parameters,
/// transforms) comes from one seed: same seed, same images, bit for bit.
public struct Renderer {
    /// Optimisation steps (Lucid: 512).
    public var steps = 512
    /// Learning rate (Lucid's Adam: 0.05).
    public var learningRate: Float = 0.05
    /// The optimiser (Lucid: Adam).
    public var optimizer = OptimizerKind.adam
    /// Penalties on the untransformed images, subtracted with their weights (e.g. `ImagePenalty.spectral`).
    public var penalties: [ImagePenalty] = []
    /// Transforms applied before every forward pass (default: Lucid's standard transforms).
    public var transforms = ImageTransform.standard
    /// How the transforms are resampled (default: one interpolation for all; Lucid: one per transform).
    public var resampling = ImageTransform.Resampling.composite
    /// Steps at the start that use Lucid's redirected ReLU/ReLU6 gradient (it revives units that are dead for an
    /// image, which would otherwise give no gradient at all).
    public var redirectedSteps = 16
    /// Fraction of the steps at the end over which the learning rate falls to 0 along a half cosine (0: constant
    /// rate, Lucid's). The image then settles on a maximum of the objective averaged over the transforms instead
    /// of ending on one noisy Adam step.
    public var decayFraction: Float = 0
    /// Fraction of the steps at the end whose parameters are averaged into the final image (Polyak–Ruppert tail
    /// averaging; 0: the last iterate, Lucid's). The average of the noisy iterates sits nearer the maximum of the
    /// objective averaged over the transforms than any one of them, at no extra forward or backward pass: with the
    /// last eighth averaged, every channel's mean score rose in paired runs on Lite0 (Docs/FEATVIZ.md).
    public var averageFraction: Float = 0.125
    /// Whether to accumulate MACO's transparency map (Fel et al. 2023), which costs one extra reduction per step.
    public var accumulatesTransparency = false

    public init() {}

    /// Runs the optimisation from `start` parameters (nil: random ones drawn from the seed); `progress` is called
    /// after every step with (steps done, objective value).
    public func render(model: any Classifier, objective: Objective, parameterization: ImageParameterization, seed: UInt64,
                       from start: Tensor? = nil, progress: ((Int, Float) -> Void)? = nil) throws -> Rendering {
        guard steps >= 1 else { throw VisError.badOption("steps must be at least 1, found \(steps)") }
        guard learningRate > 0 else { throw VisError.badOption("the learning rate must be positive, found \(learningRate)") }
        guard (0...1).contains(decayFraction) else { throw VisError.badOption("the decay fraction must be in 0...1, found \(decayFraction)") }
        guard (0...1).contains(averageFraction) else {
            throw VisError.badOption("the averaged fraction must be in 0...1, found \(averageFraction)")
        }
        let known = Set(model.layerPaths)
        if let unknown = objective.layers.sorted().first(where: { !known.contains($0) }) {
            throw ModelError.unknownLayer(unknown, known: model.layerPaths)
        }
        let began = DispatchTime.now().uptimeNanoseconds
        var rng = SeededRNG(seed: seed)
        var parameters = parameterization.initialParameters(rng: &rng)
        if let start {
            try start.checkShape(parameters.shape, "start parameters")
            try start.checkFinite("start parameters")
            parameters = start.detached()
        }
        var optimizer = self.optimizer.make(learningRate: learningRate)
        var history: [Float] = [], times: [Double] = []
        var transparency: Tensor?
        let firstAveraged = steps - Int((averageFraction * Float(steps)).rounded())
        var average: Tensor?
        for step in 0..<steps {
            let stepStart = DispatchTime.now().uptimeNanoseconds
            let rule: ActivationGradient = step < redirectedSteps ? .redirected : .exact
            let (value, grad) = try withActivationGradient(rule) { () throws -> (Float, Tensor) in
                let p = parameters.requiringGradient()
                let images = try parameterization.image(p)
                // The transforms run outside the autodiff graph (plain resampling loops); their adjoint carries the
                // network's gradient back to the images, and autodiff takes it from there to the parameters.
                let draw = try ImageTransform.draw(transforms, height: images.shape[2], width: images.shape[3],
                                                   rng: &rng, resampling: resampling)
                let x = try draw.apply(images.detached()).requiringGradient()
                let value = try objective.value(objective.forward(model, x))
                let imageGradient = try draw.adjoint(gradient(of: -value, wrt: [x])[0])
                guard !penalties.isEmpty || accumulatesTransparency else {
                    return (value.scalar, try gradient(of: images, wrt: [p], seed: imageGradient)[0])
                }
                let loss = try penalties.reduce((images * imageGradient).sum()) { try $0 + $1.value(images) * $1.weight }
                guard accumulatesTransparency else { return (value.scalar, try gradient(of: loss, wrt: [p])[0]) }
                let grads = try gradient(of: loss, wrt: [p, images])
                let magnitude = try grads[1].abs().mean(axes: [1], keepDims: true)
                transparency = try transparency.map { try $0 + magnitude } ?? magnitude
                return (value.scalar, grads[0])
            }
            guard value.isFinite else { throw VisError.diverged(step: step, value: value) }
            optimizer.learningRate = learningRate(atStep: step)
            try optimizer.update(&parameters, gradient: grad)
            if step >= firstAveraged {
                // Running mean of the iterates since `firstAveraged`.
                let count = Float(step - firstAveraged + 1)
                average = try withoutGradient { try average.map { try $0 + (parameters - $0) / count } ?? parameters }
            }
            history.append(value)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - stepStart) / 1e6)
            progress?(step + 1, value)
        }
        let images = try withoutGradient { try parameterization.image(average ?? parameters) }
        return Rendering(images: images, history: history, millisecondsPerStep: times.sorted()[times.count / 2],
                         seconds: Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9, transparency: transparency)
    }

    /// The learning rate of `step` (0-based): constant, then over the last `decayFraction · steps` steps
    /// `lr · (1 + cos(π · t)) / 2` with t = 0, 1/n, …, (n − 1)/n.
    public func learningRate(atStep step: Int) -> Float {
        let n = Int((decayFraction * Float(steps)).rounded())
        let first = steps - n
        guard n > 0, step >= first else { return learningRate }
        let t = Float(step - first) / Float(n)
        return learningRate * (1 + Foundation.cos(Float.pi * t)) / 2
    }
}
