import Foundation
import GlimpseCore

/// FD-CAM (Li et al. 2022, crishhh1998/FD-CAM), grouped channel switching. Channels are compared by the cosine
/// similarity of their flattened maps; channel k's group G_k holds the channels whose similarity to k exceeds the
/// `threshold` quantile of k's similarities (linear interpolation, as torch.quantile). The score of channel k is
/// s_k = y(A ⊙ 1[G_k]) + (y − y(A ⊙ 1[¬G_k])) ("switch on" only the group, plus the drop when it is switched off),
/// with y the target through the network's tail; the gradient weight is g_k = mean_ij ∂y/∂A_kij. Weights, as the
/// official code combines them (min-max over channels): w_k = exp(minmax(s)_k) · minmax(g)_k − 0.5.
///
/// Cost: 1 forward + 1 backward + 2C tail evaluations + C² similarities.
public struct FDCAM: CAMMethod {
    public let name = "fdcam"
    public var threshold: Double
    public var batchSize: Int

    public init(threshold: Double = 0.95, batchSize: Int = 128) {
        self.threshold = threshold
        self.batchSize = batchSize
    }

    public func channelWeights(_ e: LayerEvidence) throws -> Tensor {
        let s = try scores(e)
        let g = try e.gradients.mean(axes: [1, 2]).scalars
        let (ns, ng) = (Self.minMax(s), Self.minMax(g))
        return try Tensor((0..<e.channels).map { Foundation.exp(ns[$0]) * ng[$0] - 0.5 }, shape: [e.channels, 1, 1])
    }

    /// groups[k][j]: channel j is in channel k's group.
    public func groups(_ e: LayerEvidence) throws -> [[Bool]] {
        guard (0...1).contains(threshold) else { throw SaliencyError.badOption("FD-CAM's threshold must be in [0, 1]") }
        return Self.groups(e.activations, quantile: threshold)
    }

    /// The switching score s_k of every channel.
    public func scores(_ e: LayerEvidence) throws -> [Float] {
        let groups = try groups(e)
        let c = e.channels, n = e.activations.count / c
        let y = try e.tailScore()
        // Copies 0..<C switch only the group on, C..<2C switch the group off.
        let switched = try e.tailScores(count: 2 * c, batch: batchSize) { index, a in
            let (k, on) = (index % c, index < c)
            for j in 0..<c where groups[k][j] != on {
                for i in (j * n)..<((j + 1) * n) { a[i] = 0 }
            }
        }
        return (0..<c).map { switched[$0] + (y - switched[c + $0]) }
    }

    static func groups(_ activations: Tensor, quantile q: Double) -> [[Bool]] {
        let c = activations.shape[0], n = activations.count / c
        let a = activations.scalars.map(Double.init)
        let norms = (0..<c).map { k in (0..<n).reduce(0.0) { $0 + a[k * n + $1] * a[k * n + $1] }.squareRoot() }
        var cosine = [Double](repeating: 0, count: c * c)
        for k in 0..<c {
            for j in k..<c {
                var dot = 0.0
                for i in 0..<n { dot += a[k * n + i] * a[j * n + i] }
                let v = norms[k] > 0 && norms[j] > 0 ? dot / (norms[k] * norms[j]) : 0
                cosine[k * c + j] = v
                cosine[j * c + k] = v
            }
        }
        return (0..<c).map { k in
            let row = Array(cosine[(k * c)..<((k + 1) * c)])
            let sorted = row.sorted()
            let position = q * Double(c - 1)
            let low = Int(position.rounded(.down)), high = min(low + 1, c - 1)
            let cut = sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
            return row.map { $0 > cut }
        }
    }

    /// (v − min) / (max − min) over all channels (0 when constant).
    static func minMax(_ v: [Float]) -> [Float] {
        let lo = v.min() ?? 0, hi = v.max() ?? 0
        return v.map { hi > lo ? ($0 - lo) / (hi - lo) : 0 }
    }
}
