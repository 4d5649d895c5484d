import GlimpseCore
import GlimpseImage

/// How AdvEdge (Abdukhamidov et al., arXiv 2211.15926) weights each sign step by the Sobel edge map E of the clean
/// image (scikit-image's `filters.sobel` of the RGB mean, `EdgeMap.sobel`), broadcast over the colour channels.
public enum EdgeWeighting: Sendable, Equatable {
    /// No weighting: ADV².
    case none
    /// AdvEdge: step `α·E⊙sign(∇)`, E ∈ [0, 1].
    case soft
    /// AdvEdge+: step `α·1[E > threshold]⊙sign(∇)`; the authors use 0.1 (0.05 in their RTS notebook).
    case hard(threshold: Float)

    /// The step mask [N, 1, H, W] for clean images [N, C, H, W], or nil for `.none`.
    public func stepMask(for images: Tensor) throws -> Tensor? {
        if self == .none { return nil }
        let e = try EdgeWeighting.sobel(images)
        guard case let .hard(threshold) = self else { return e }
        return e.withUnsafeBufferPointer { p in Tensor(shape: e.shape) { out, n in for i in 0..<n { out[i] = p[i] > threshold ? 1 : 0 } } }
    }

    /// The Sobel edge map [N, 1, H, W] of each image.
    public static func sobel(_ images: Tensor) throws -> Tensor {
        guard images.rank == 4 else { throw AttackError.badInput("edge maps need images [N, C, H, W], found \(images.shape)") }
        let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        let values = images.scalars, plane = c * h * w
        var out: [Float] = []
        out.reserveCapacity(n * h * w)
        for i in 0..<n {
            out += EdgeMap.sobel(planar: Array(values[(i * plane)..<((i + 1) * plane)]), channels: c, width: w, height: h)
        }
        return try Tensor(out, shape: [n, 1, h, w])
    }
}

/// Which stages of the two-stage attack the edge weighting applies to.
public enum EdgeStages: String, Codable, Sendable, CaseIterable {
    /// Only the warm start (stage 1), as every notebook of the authors does: stage 2 takes plain sign steps.
    case warmStart = "warm-start"
    /// Every step, as the paper describes it.
    case all
}
