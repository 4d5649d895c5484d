import Foundation
import GlimpseCore
import GlimpseModels

/// Result of a feature-visualization run.
public struct Rendering {
    /// Final images [B, 3, H, W] in [0, 1].
    public let images: Tensor
    /// Objective value at every step (before the update).
    public let history: [Float]
    /// Wall time per step in milliseconds (median).
    public let millisecondsPerStep: Double
}

/// Activation maximisation (Olah et al. 2017): optimise an image parameterization with Adam so that the
/// objective of the transformed image is maximal.
public struct Renderer {
    public var steps = 512
    public var learningRate: Float = 0.05
    public var transforms = ImageTransform.standard
    /// Steps that use Lucid's redirected ReLU gradient (it rescues dead units early on).
    public var redirectedSteps = 16

    public init() {}

    public func render(model: any Classifier, objective: Objective, parameterization: ImageParameterization, seed: UInt64,
                       progress: ((Int, Float) -> Void)? = nil) throws -> Rendering {
        guard steps >= 1 else { throw VisError.badOption("steps must be at least 1") }
        let known = Set(model.layerPaths)
        if let unknown = objective.layers.first(where: { !known.contains($0) }) {
            throw ModelError.unknownLayer(unknown, known: model.layerPaths)
        }
        var rng = SeededRNG(seed: seed)
        var parameters = parameterization.initialParameters(rng: &rng)
        var adam = Adam(learningRate: learningRate)
        var history: [Float] = []
        var times: [Double] = []
        for step in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            let rule: ActivationGradient = step < redirectedSteps ? .redirected : .exact
            let (value, grad) = try withActivationGradient(rule) { () throws -> (Float, Tensor) in
                let p = parameters.requiringGradient()
                var x = try parameterization.image(p)
                for t in transforms { x = try t.apply(x, rng: &rng) }
                let result = try model.run(x, capturing: objective.layers)
                let value = try objective.value(result)
                return (value.scalar, try gradient(of: -value, wrt: [p])[0])
            }
            guard value.isFinite else { throw VisError.badOption("the objective became \(value) at step \(step)") }
            try adam.update(&parameters, gradient: grad)
            history.append(value)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            progress?(step + 1, value)
        }
        let images = try withoutGradient { try parameterization.image(parameters) }
        return Rendering(images: images, history: history, millisecondsPerStep: times.sorted()[times.count / 2])
    }
}
