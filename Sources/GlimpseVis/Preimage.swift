import GlimpseCore

/// A parameterization that can start from given images: `parameters(for:)` returns parameters whose image is
/// (up to the sigmoid's clamping at 0.002 / 0.998) the given one.
public protocol InvertibleParameterization: ImageParameterization {
    /// Parameters reproducing `images` [B, 3, H, W] in [0, 1].
    func parameters(for images: Tensor) throws -> Tensor
}

extension PixelImage: InvertibleParameterization {
    public func parameters(for images: Tensor) throws -> Tensor {
        try images.checkShape([batch, 3, height, width], "start images")
        return try withoutGradient { try ColorDecorrelation.preimage(of: images, decorrelate: decorrelate) }
    }
}

extension FourierImage: InvertibleParameterization {
    /// `rfft2_ortho(4 · t) / scale` with `t` the colour preimage: the exact inverse of `image(_:)`.
    public func parameters(for images: Tensor) throws -> Tensor {
        try images.checkShape([batch, 3, height, width], "start images")
        return try withoutGradient {
            let t = try ColorDecorrelation.preimage(of: images, decorrelate: decorrelate)
            return try (t * 4).rfft2(normalization: .ortho) / scale
        }
    }
}
