import GlimpseCore

/// Abs-CAM (Zeng et al. 2023, "Abs-CAM: a gradient optimization interpretable approach"). No official code
/// exists; Glimpse follows the paper's two stages as the common reimplementation reads them:
/// 1. initial weights from absolute gradients, w_k = mean_ij |∂y/∂A_kij| (channels with w_k = 0 drop out);
/// 2. each kept channel's map w_k A_k, upsampled and min-max normalised (the scale w_k cancels), masks the image
///    as in Score-CAM; s_k = softmax probability of the class for that masked image (Score-CAM's authors'
///    masks and scoring, sharing its batched, de-duplicated forwards), and the map is ReLU(Σ_k s_k M_k).
/// The masks M_k are normalised at the layer's resolution for the map (Glimpse maps are defined there, then
/// upsampled), at the input resolution for the scores.
public struct AbsCAM: CAMMethod {
    public let name = "abscam"
    public var batchSize: Int

    public init(batchSize: Int = 16) { self.batchSize = batchSize }

    /// w_k = mean_ij |G_kij| as [C, 1, 1] (stage 1).
    public func channelWeights(_ e: LayerEvidence) throws -> Tensor {
        try withoutGradient { try e.gradients.abs().mean(axes: [1, 2], keepDims: true) }
    }

    /// ReLU(Σ_k s_k minmax(A_k)) over the channels with w_k > 0, [h, w].
    public func rawMap(_ e: LayerEvidence) throws -> Tensor {
        let w = try channelWeights(e).scalars
        let scored: LayerEvidence = if case let .logit(c) = e.target { e.retargeted(.probability(c)) } else { e }
        let s = try ScoreCAM(definition: .original, batchSize: batchSize).scores(scored)
        let c = e.channels, n = e.activations.count / c
        let a = e.activations.scalars
        var map = [Float](repeating: 0, count: n)
        for k in 0..<c where w[k] > 0 && s[k] != 0 {
            let row = a[(k * n)..<((k + 1) * n)]
            let lo = row.min() ?? 0, hi = row.max() ?? 0
            guard hi > lo else { continue }
            for (i, v) in row.enumerated() { map[i] += s[k] * (v - lo) / (hi - lo) }
        }
        return try Tensor(map.map { max($0, 0) }, shape: Array(e.activations.shape.dropFirst()))
    }
}
