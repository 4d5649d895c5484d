import GlimpseCore
import GlimpseModels

/// Score-CAM (Wang et al. 2020) exactly as pytorch-grad-cam 1.5.7 computes it (the default here, so results can be
/// compared with that library): each channel A_k is upsampled with align-corners bilinear interpolation, min-max
/// normalised (1e-8), multiplied into the model's *normalised* input (the model's own input transform applied to x),
/// and scored by the target's raw logit; weights are the softmax of the scores over channels. (The paper instead
/// masks the image and scores a softmax probability minus a baseline; this variant reproduces the library.)
/// Masked forwards run `batchSize` at a time; channels whose activation is all zero share one forward, since
/// their masks (and so their masked inputs) are identical.
public struct ScoreCAM {
    public let name = "scorecam"
    public var batchSize: Int

    public init(batchSize: Int = 16) { self.batchSize = batchSize }

    /// Per-channel scores, softmax weights and the raw map for one image x [1, 3, H, W] in [0, 1]. The mask
    /// multiplies the model's normalised input (`Classifier.normalizedInput`), as the library does.
    public func compute(model: any Classifier, _ x: Tensor, layer: String, target: SaliencyTarget)
        throws -> (scores: [Float], weights: [Float], raw: Tensor) {
        guard batchSize >= 1 else { throw SaliencyError.badOption("Score-CAM batch size must be at least 1") }
        return try withoutGradient {
            let result = try model.run(x, capturing: [layer])
            let a = try result.layer(layer).detached()
            let (c, h, w) = (a.shape[1], a.shape[2], a.shape[3])
            let (height, width) = (x.shape[2], x.shape[3])
            let up = try a.resizedBilinear(height: height, width: width, alignment: .alignCorners).reshaped([c, 1, height, width])
            let upValues = up.scalars
            let plane = height * width
            var masks = [Float](repeating: 0, count: c * plane)
            var isZero = [Bool](repeating: false, count: c)
            for k in 0..<c {
                let slice = upValues[(k * plane)..<((k + 1) * plane)]
                let lo = slice.min() ?? 0, hi = slice.max() ?? 0
                isZero[k] = hi == 0 && lo == 0
                for i in 0..<plane { masks[k * plane + i] = (upValues[k * plane + i] - lo) / (hi - lo + 1e-8) }
            }
            let xn = try model.normalizedInput(x)
            var scores = [Float](repeating: 0, count: c)
            var todo = (0..<c).filter { !isZero[$0] }
            if let firstZero = isZero.firstIndex(of: true) { todo.append(firstZero) }
            let maskTensor = try Tensor(masks, shape: [c, 1, height, width])
            for start in stride(from: 0, to: todo.count, by: batchSize) {
                let ks = Array(todo[start..<min(start + batchSize, todo.count)])
                let batchMasks = try Tensor.concatenate(ks.map { try maskTensor.sliced(axis: 0, $0..<($0 + 1)) }, axis: 0)
                let logits = try model.run(try model.imageFromNormalized(xn * batchMasks)).logits
                let column = logits.scalars
                for (j, k) in ks.enumerated() { scores[k] = column[j * logits.shape[1] + target.classIndex] }
            }
            if let firstZero = isZero.firstIndex(of: true) {
                for k in 0..<c where isZero[k] { scores[k] = scores[firstZero] }
            }
            let m = scores.max() ?? 0
            let e = scores.map { Foundation.exp($0 - m) }
            let total = e.reduce(0, +)
            let weights = e.map { $0 / total }
            let raw = try (a.reshaped([c, h, w]) * Tensor(weights, shape: [c, 1, 1])).sum(axes: [0]).relu()
            return (scores, weights, raw)
        }
    }
}

import Foundation
