import GlimpseCore

/// Plain pixel parameters [B, 3, H, W] ~ N(0, 0.01²); the image is `sigmoid(M · P)` (or `sigmoid(P)`).
public struct PixelImage: ImageParameterization {
    public let batch: Int, height: Int, width: Int
    /// Whether the ImageNet colour decorrelation is applied.
    public let decorrelate: Bool

    public init(batch: Int = 1, height: Int = 224, width: Int = 224, decorrelate: Bool = true) throws {
        guard batch >= 1, height >= 8, width >= 8 else {
            throw VisError.badOption("a pixel image needs batch >= 1 and sides >= 8")
        }
        (self.batch, self.height, self.width, self.decorrelate) = (batch, height, width, decorrelate)
    }

    public func initialParameters(rng: inout SeededRNG) -> Tensor {
        Tensor.normal([batch, 3, height, width], std: 0.01, rng: &rng)
    }

    public func image(_ parameters: Tensor) throws -> Tensor {
        try parameters.checkShape([batch, 3, height, width], "pixel parameters")
        return try ColorDecorrelation.rgb(parameters, decorrelate: decorrelate)
    }
}
