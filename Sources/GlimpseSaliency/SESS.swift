import GlimpseCore
import GlimpseModels

/// SESS, Saliency Enhancing with Scaling and Sliding (Tursun et al., ECCV 2022), wrapping any saliency method,
/// as the authors' code and pytorch-grad-cam's `SESS` define it:
/// 1. scale the image so its shorter side is s = w + round(w·2/7)·i, i < `scales` (w = window = shorter side);
/// 2. slide a w×w window with stride w over each scale, windows past the border shifted back inside
///    (122 patches for 12 scales);
/// 3. score every patch by the softmax probability of the class (one batched pass, negatives clipped to 0);
/// 4. drop the lowest `preFilterRatio` of the patches; compute the base map of each remaining patch, min-max
///    normalise it, weight it by score / best score, paste it at its window into a zero canvas of the scaled
///    size, and resize the canvas back (bilinear);
/// 5. fuse: per pixel, the mean of the pasted maps that exceed `theta` there (or their maximum), then an 11×11
///    Gaussian blur with σ = 5 (reflected border, as OpenCV), then min-max.
public struct SESS {
    public enum Pooling: String, Sendable { case mean, max }

    public var base: SaliencyMethod
    public var scales = 12
    public var preFilterRatio: Float = 0
    public var theta: Float = 0
    public var pooling = Pooling.mean
    public var smooth = true
    public var batchSize = 16

    public init(base: SaliencyMethod) { self.base = base }

    /// The enhanced map [H, W] in [0, 1] for x [1, C, H, W] and the class `target`.
    public func map(model: any Classifier, _ x: Tensor, target: SaliencyTarget, options: SaliencyMethod.Options = .init(),
                    progress: ((Int, Int) -> Void)? = nil) throws -> Tensor {
        guard x.rank == 4, x.shape[0] == 1 else { throw SaliencyError.badOption("SESS takes one image [1, C, H, W], found \(x.shape)") }
        guard scales >= 1, (0..<1).contains(preFilterRatio), batchSize >= 1 else {
            throw SaliencyError.badOption("SESS needs scales >= 1, a pre-filter ratio in [0, 1) and batch size >= 1")
        }
        let scored: SaliencyTarget = if case let .logit(c) = target { .probability(c) } else { target }
        let (height, width) = (x.shape[2], x.shape[3])
        let window = min(height, width)
        let step = Int((Double(window) * 2 / 7).rounded())
        var patches: [(patch: Tensor, x1: Int, y1: Int, scaledH: Int, scaledW: Int)] = []
        for i in 0..<scales {
            let side = window + step * i
            // The shorter side becomes `side`; the other keeps the aspect ratio (torchvision's resize).
            let (sh, sw) = height <= width ? (side, Int(Double(width) * Double(side) / Double(height))) : (Int(Double(height) * Double(side) / Double(width)), side)
            let scaled = try withoutGradient { try x.resizedBilinear(height: sh, width: sw) }
            for y1 in Self.windowStarts(sh, window) {
                for x1 in Self.windowStarts(sw, window) {
                    let patch = try scaled.sliced(axis: 2, y1..<(y1 + window)).sliced(axis: 3, x1..<(x1 + window))
                    patches.append((patch, x1, y1, sh, sw))
                }
            }
        }
        var scores: [Float] = []
        for start in stride(from: 0, to: patches.count, by: batchSize) {
            let batch = try Tensor.concatenate(patches[start..<min(start + batchSize, patches.count)].map(\.patch), axis: 0)
            scores += try withoutGradient { try scored.perImage(model.run(batch, capturing: scored.layers)).scalars.map { max($0, 0) } }
        }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }.dropFirst(Int(Float(scores.count) * preFilterRatio))
        let best = order.last.map { scores[$0] } ?? 0
        var total = [Float](repeating: 0, count: height * width), counts = total
        for (done, index) in order.enumerated() {
            let p = patches[index]
            let weight = best > 0 ? scores[index] / best : 1
            let patchMap = try Self.minMax(base.map(model: model, p.patch, target: target, options: options)) * weight
            let canvas = try withoutGradient {
                try patchMap.reshaped([1, 1, window, window])
                    .padded(top: p.y1, bottom: p.scaledH - p.y1 - window, left: p.x1, right: p.scaledW - p.x1 - window)
                    .resizedBilinear(height: height, width: width)
            }
            for (i, v) in canvas.scalars.enumerated() {
                switch pooling {
                case .max: total[i] = max(total[i], v)
                case .mean: if v > theta { total[i] += v; counts[i] += 1 }
                }
            }
            progress?(done + 1, order.count)
        }
        let fused = pooling == .max ? total : zip(total, counts).map { $1 > 0 ? $0 / $1 : 0 }
        var result = try Tensor(fused, shape: [1, 1, height, width])
        if smooth { result = try result.gaussianBlurred(sigma: 5, truncate: 1) }
        return try Self.minMax(result.reshaped([height, width]))
    }

    /// Window starts along an axis of `length`: 0, w, 2w, … with the last window shifted back inside.
    public static func windowStarts(_ length: Int, _ window: Int) -> [Int] {
        var starts: [Int] = []
        var start = 0
        while start < length {
            if start + window >= length { starts.append(max(length - window, 0)); break }
            starts.append(start)
            start += window
        }
        return starts
    }

    /// (m − min) / (max − min), or zeros for a constant map. A true division, so the maximum maps to exactly 1 (a
    /// product with the reciprocal can round it to 1 − 2⁻²⁴).
    static func minMax(_ m: Tensor) throws -> Tensor {
        let v = m.scalars
        let lo = v.min() ?? 0, hi = v.max() ?? 0, range = hi - lo
        return hi > lo ? try Tensor(v.map { ($0 - lo) / range }, shape: m.shape) : Tensor(zeros: m.shape)
    }
}
