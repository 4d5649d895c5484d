import GlimpseCore

/// Ablation-CAM (Desai & Ramaswamy, WACV 2020) as pytorch-grad-cam 1.5.7 computes it: y is the target, y_k the
/// target with channel k ablated, w_k = (y − y_k) / y. A channel is ablated by setting it to 0 when the layer's
/// smallest activation is 0 (ReLU-like layers), else to min(A) − 1e7, as that library does.
///
/// Only the network after the layer runs (`Classifier.resume`): for EfficientNet-Lite0's `_head_act` the C = 1280
/// ablations cost C global-average-pool + linear evaluations instead of C full forward passes.
public struct AblationCAM: CAMMethod {
    public let name = "ablationcam"
    /// Ablated copies per tail evaluation.
    public var batchSize: Int

    public init(batchSize: Int = 128) { self.batchSize = batchSize }

    /// (y − y_k) / y as [C, 1, 1].
    public func channelWeights(_ e: LayerEvidence) throws -> Tensor {
        let y = try e.tailScore()
        guard y != 0 else { throw SaliencyError.badOption("Ablation-CAM divides by the target score, which is 0 here") }
        let n = e.activations.count / e.channels
        let lowest = e.activations.withUnsafeBufferPointer { $0.min() ?? 0 }
        let ablated: Float = lowest == 0 ? 0 : lowest - 1e7
        let scores = try e.tailScores(count: e.channels, batch: batchSize, touching: { k in (k * n)..<((k + 1) * n) }) { k, a in
            for i in (k * n)..<((k + 1) * n) { a[i] = ablated }
        }
        return try Tensor(scores.map { (y - $0) / y }, shape: [e.channels, 1, 1])
    }
}
