import GlimpseCore
import GlimpseModels

/// Score-CAM (Wang et al. 2020): channel k's activation map, upsampled to the input size and min-max normalised,
/// masks the model's *normalised* input; the target of that masked input scores the channel. Two reference
/// implementations disagree on the details, so both are available (`Definition`); the default reproduces
/// pytorch-grad-cam, whose outputs the fixtures hold.
///
/// Masked forwards run `batchSize` at a time. A channel whose upsampled map is constant has an all-zero mask
/// (pytorch-grad-cam) or is skipped (the authors' code). With `shareEmptyMasks`, one forward scores all the
/// all-zero masks (830 of 1280 channels of EfficientNet-Lite0's head on the reference photo), and channels whose
/// min-max normalised maps agree to 1e-6 share one forward (their masks are then equal to rounding: 44 more on
/// that photo); results change only by float rounding.
public struct ScoreCAM: CAMMethod {
    /// Which reference implementation Score-CAM reproduces.
    public enum Definition: Sendable {
        /// pytorch-grad-cam 1.5.7: align-corners upsampling, masks (U − min)/(max − min + 1e-8), the target as
        /// given (a raw logit in that library), weights softmax_k(s) over channels.
        case pytorchGradCAM
        /// The authors' code (haofanwang/Score-CAM): half-pixel upsampling, masks (U − min)/(max − min), channels
        /// with a constant map skipped (weight 0), weights = the scores themselves; use it with a `.probability`
        /// target, as the authors do.
        case original
    }

    public let name: String
    public var definition: Definition
    public var batchSize: Int
    public var shareEmptyMasks: Bool

    public init(definition: Definition = .pytorchGradCAM, batchSize: Int = 16, shareEmptyMasks: Bool = true) {
        self.definition = definition
        self.name = definition == .original ? "scorecam-original" : "scorecam"
        self.batchSize = batchSize
        self.shareEmptyMasks = shareEmptyMasks
    }

    /// [C, 1, 1]: the softmax over channels of the scores (pytorch-grad-cam) or the scores (original).
    public func channelWeights(_ e: LayerEvidence) throws -> Tensor {
        let s = try scores(e)
        return definition == .original ? try Tensor(s, shape: [s.count, 1, 1]) : try Self.weights(scores: s)
    }

    /// pytorch-grad-cam's weights softmax_k(s) as [C, 1, 1].
    public static func weights(scores: [Float]) throws -> Tensor {
        try Tensor(scores, shape: [scores.count, 1, 1]).softmax(axis: 0)
    }

    /// The score s_k of every channel's masked input (0 for the channels the original definition skips).
    public func scores(_ e: LayerEvidence) throws -> [Float] {
        guard batchSize >= 1 else { throw SaliencyError.badOption("Score-CAM batch size must be at least 1") }
        let (c, h, w) = (e.channels, e.activations.shape[1], e.activations.shape[2])
        let (height, width) = (e.input.shape[2], e.input.shape[3])
        let original = definition == .original
        return try withoutGradient {
            let normalized = try e.model.normalizedInput(e.input)
            /// Channel k's mask [1, 1, H, W], or nil if it is all zero (or skipped) and `shareEmptyMasks` is set.
            func mask(_ k: Int) throws -> Tensor? {
                let up = try e.activations.sliced(axis: 0, k..<(k + 1)).reshaped([1, 1, h, w])
                    .resizedBilinear(height: height, width: width, alignment: original ? .halfPixel : .alignCorners)
                let values = up.scalars
                let lo = values.min() ?? 0, hi = values.max() ?? 0
                if hi == lo && (shareEmptyMasks || original) { return nil }
                return (up - lo) * (1 / (original ? hi - lo : hi - lo + 1e-8))
            }
            var scores = [Float](repeating: 0, count: c)
            var pending: [(channel: Int, mask: Tensor)] = []
            var emptyChannels: [Int] = []
            var representative: [[Int32]: Int] = [:], copies: [(channel: Int, of: Int)] = []
            func flush() throws {
                guard !pending.isEmpty else { return }
                let masked = try normalized * Tensor.concatenate(pending.map(\.mask), axis: 0)
                let result = try e.model.run(e.model.imageFromNormalized(masked), capturing: e.target.layers)
                for (j, s) in try e.target.perImage(result).scalars.enumerated() { scores[pending[j].channel] = s }
                pending.removeAll()
            }
            for k in 0..<c {
                if shareEmptyMasks, let key = Self.shapeKey(e.activations, channel: k) {
                    if let first = representative[key] { copies.append((k, first)); continue }
                    representative[key] = k
                }
                if let m = try mask(k) { pending.append((k, m)) } else { emptyChannels.append(k) }
                if pending.count == batchSize { try flush() }
            }
            if !original, let first = emptyChannels.first {
                pending.append((first, Tensor(zeros: [1, 1, height, width])))
            }
            try flush()
            if !original, let first = emptyChannels.first {
                for k in emptyChannels.dropFirst() { scores[k] = scores[first] }
            }
            for (k, first) in copies { scores[k] = scores[first] }
            return scores
        }
    }

    /// Channel k's map min-max normalised and rounded to 1e-6 (nil for a constant map): channels with equal keys
    /// have equal masks.
    static func shapeKey(_ a: Tensor, channel k: Int) -> [Int32]? {
        let n = a.count / a.shape[0]
        return a.withUnsafeBufferPointer { p in
            let row = UnsafeBufferPointer(rebasing: p[(k * n)..<((k + 1) * n)])
            let lo = row.min() ?? 0, hi = row.max() ?? 0
            guard hi > lo else { return nil }
            return row.map { Int32((($0 - lo) / (hi - lo) * 1e6).rounded()) }
        }
    }
}
