import Foundation
import GlimpseCore
import GlimpseModels

/// Deletion and insertion curves (Petsiuk et al., RISE, BMVC 2018) as the authors' `evaluation.py` defines them.
///
/// Pixels are visited from the most to the least salient (all channels of a pixel together), `step` per point.
/// Deletion starts from the image and replaces visited pixels by 0 in the model's *normalised* space (the
/// normalisation's centre colour); insertion starts from the normalised image blurred by an 11×11 Gaussian
/// (σ = 5, zero padding, per channel) and copies the visited pixels from the image. Each point is the softmax
/// probability of the class; the AUC is the trapezoid rule on [0, 1]:
/// (Σ s − s₀/2 − s_last/2) / (points − 1). Lower deletion and higher insertion AUC mean a more faithful map.
public struct DeletionInsertion {
    public enum Mode: String, Sendable, CaseIterable { case deletion, insertion }

    /// Pixels changed per point: 224 for single images in the authors' notebook (225 points on 224×224),
    /// 224·8 = 1792 in their batch evaluation (29 points).
    public var step: Int
    /// Images per forward pass.
    public var batchSize: Int

    public init(step: Int = 224, batchSize: Int = 16) {
        self.step = step
        self.batchSize = batchSize
    }

    /// The curve and its area for map [H, W] of x [1, C, H, W] (in [0, 1]) and class c.
    public func evaluate(_ mode: Mode, model: any Classifier, _ x: Tensor, map: Tensor, classIndex c: Int)
        throws -> (scores: [Float], auc: Double) {
        guard x.rank == 4, x.shape[0] == 1, map.shape == [x.shape[2], x.shape[3]] else {
            throw MetricError.badInput("deletion/insertion needs one image [1, C, H, W] and a map [H, W], found \(x.shape) and \(map.shape)")
        }
        guard step >= 1, batchSize >= 1 else { throw MetricError.badInput("step and batch size must be at least 1") }
        guard (0..<model.classCount).contains(c) else { throw MetricError.badInput("class \(c) is out of range 0..<\(model.classCount)") }
        try map.checkFinite("the saliency map")
        let (channels, hw) = (x.shape[1], x.shape[2] * x.shape[3])
        let order = MapStatistics.descendingOrder(map.scalars)
        let points = (hw + step - 1) / step + 1
        return try withoutGradient {
            let image = try model.normalizedInput(x)
            let initial = mode == .deletion ? image : try Self.blurred(image)
            let replacement = mode == .deletion ? Tensor(zeros: image.shape) : image
            // State k has the first k·step pixels of `order` taken from `replacement`, the rest from `initial`.
            let source = replacement.scalars
            var current = initial.scalars
            var scores: [Float] = []
            var i = 0
            while i < points {
                let n = min(batchSize, points - i)
                var batch = [Float]()
                batch.reserveCapacity(n * current.count)
                for k in i..<(i + n) {
                    if k > 0 {
                        for p in order[min((k - 1) * step, hw)..<min(k * step, hw)] {
                            for ch in 0..<channels { current[ch * hw + p] = source[ch * hw + p] }
                        }
                    }
                    batch += current
                }
                let states = try Tensor(batch, shape: [n] + Array(x.shape.dropFirst()))
                let logits = try model.run(model.imageFromNormalized(states)).logits
                let p = try logits.softmax(axis: 1).scalars
                scores += (0..<n).map { p[$0 * model.classCount + c] }
                i += n
            }
            return (scores, Self.area(scores))
        }
    }

    /// Trapezoid area on [0, 1] of equally spaced points.
    public static func area(_ s: [Float]) -> Double {
        guard s.count > 1 else { return Double(s.first ?? 0) }
        let total = s.reduce(0.0) { $0 + Double($1) }
        return (total - Double(s[0]) / 2 - Double(s[s.count - 1]) / 2) / Double(s.count - 1)
    }

    /// 11×11 Gaussian blur, σ = 5, zero padding 5, each channel separately (the authors' `blur`).
    public static func blurred(_ x: Tensor) throws -> Tensor {
        let c = x.shape[1]
        var taps = (-5...5).map { Float(exp(-Double($0 * $0) / 50)) }
        let total = taps.reduce(0, +)
        taps = taps.map { $0 / total }
        let horizontal = Tensor(shape: [c, 1, 1, 11]) { p, _ in for ch in 0..<c { for i in 0..<11 { p[ch * 11 + i] = taps[i] } } }
        let padded = try x.padded(top: 5, bottom: 5, left: 5, right: 5)
        let rows = try Tensor.conv2d(padded, filter: horizontal, options: Conv2DOptions(groups: c))
        return try Tensor.conv2d(rows, filter: horizontal.reshaped([c, 1, 11, 1]), options: Conv2DOptions(groups: c))
    }
}
