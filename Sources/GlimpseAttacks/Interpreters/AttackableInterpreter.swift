import GlimpseCore
import GlimpseModels

/// An interpreter that an attack can differentiate through: it gives, for images x [N, C, H, W] in [0, 1] and one
/// class per image, the normalised map [N, h, w] on its native grid, recorded in the autodiff graph when x is tracked.
public protocol AttackableInterpreter {
    /// Command-line name ("grad", "cam", "gradcam").
    var name: String { get }
    /// The map the attack optimises, and the exact model's logits of x (from the same pass when possible).
    /// The map is differentiable in x; for Grad it is computed with the smooth ReLU surrogate.
    func attackTerms(_ model: any Classifier, _ x: Tensor, classes: [Int]) throws -> (map: Tensor, logits: Tensor)
    /// The map as a user sees it (exact model, nothing recorded): the clean and the evaluation map.
    func map(_ model: any Classifier, _ x: Tensor, classes: [Int]) throws -> Tensor
    /// How the interpretation loss reduces (map − target)² per image: the authors sum for Grad, average for CAM.
    var lossReduction: MapLossReduction { get }
    /// Called when an attack starts: interpreters that keep state between attack steps (MASK) reset it.
    func attackWillStart()
}

extension AttackableInterpreter {
    public func attackWillStart() {}
}

/// Reduction of the squared map difference over the pixels of one image.
public enum MapLossReduction: Sendable { case sum, mean }

/// Normalisations of interpreter maps, differentiable (the min and max positions are fixed by the forward values,
/// as in PyTorch).
enum MapNormalization {
    /// Per image `(v − min) / max(max(v − min), floor)` over the last two axes of [N, h, w].
    static func minMax(_ v: Tensor, floor: Float) throws -> Tensor {
        let low = -(try (-v).max(axes: [1, 2], keepDims: true))
        let shifted = try v - low
        let high = try shifted.max(axes: [1, 2], keepDims: true)
        let guarded = try high + (high.detached().clamped(floor, .infinity) - high.detached())
        return try shifted / guarded
    }
}

/// Shared checks of interpreter inputs.
enum InterpreterSupport {
    static func check(_ model: any Classifier, _ x: Tensor, classes: [Int]) throws {
        guard x.rank == 4, classes.count == x.shape[0] else {
            throw AttackError.badLabels("\(classes.count) classes for images of shape \(x.shape)")
        }
        guard classes.allSatisfy({ (0..<model.classCount).contains($0) }) else {
            throw AttackError.badLabels("class out of range 0..<\(model.classCount): \(classes)")
        }
    }

    /// Σ_i log_softmax(z)_i[c_i], the negative summed cross-entropy.
    static func logProbability(_ logits: Tensor, _ classes: [Int]) throws -> Tensor {
        try logits.logSoftmax(axis: 1).picking(classes).sum()
    }
}
