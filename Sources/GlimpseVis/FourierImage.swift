import Foundation
import GlimpseCore

/// Lucid's Fourier parameterization. Parameters are spectra [B, 3, H, W/2+1, 2] (real, imaginary) ~ N(0, 0.01²);
/// the image is `sigmoid(M · irfft2_ortho(scale ⊙ P) / 4)` with `scale = 1 / max(f, 1/max(H, W))^decay`,
/// `f` the frequency in cycles per pixel (NumPy's `fftfreq`). Gradient descent on P is then whitened descent on
/// the image: high frequencies are damped by 1/f.
public struct FourierImage: ImageParameterization {
    public let batch: Int, height: Int, width: Int
    /// Exponent of the 1/f scale (Lucid 1, Horama 1.5, xplique 0.85).
    public let decay: Float
    /// Whether the ImageNet colour decorrelation is applied.
    public let decorrelate: Bool
    /// The scale, [H, W/2+1, 1] (broadcast over batch, channel and real/imaginary).
    let scale: Tensor
    /// `scale / 4` repeated to the parameters' shape, so that the per-step product needs no broadcasting.
    let stepScale: Tensor

    public init(batch: Int = 1, height: Int = 224, width: Int = 224, decay: Float = 1, decorrelate: Bool = true) throws {
        guard batch >= 1, height >= 8, width >= 8, decay >= 0 else {
            throw VisError.badOption("a Fourier image needs batch >= 1, sides >= 8 and decay >= 0")
        }
        (self.batch, self.height, self.width, self.decay, self.decorrelate) = (batch, height, width, decay, decorrelate)
        scale = FourierImage.frequencyScale(height: height, width: width, decay: decay)
        let plane = scale.scalars.flatMap { [$0 / 4, $0 / 4] }
        stepScale = Tensor(shape: [batch, 3, height, width / 2 + 1, 2]) { s, n in
            for i in 0..<n { s[i] = plane[i % plane.count] }
        }
    }

    /// `1 / max(sqrt(fx² + fy²), 1/max(H, W))^decay` on the rfft2 grid, as [H, W/2+1, 1].
    static func frequencyScale(height h: Int, width w: Int, decay: Float) -> Tensor {
        let floor = 1 / Float(max(h, w))
        let f = FrequencyGrid.magnitudes(height: h, width: w)
        return Tensor(shape: [h, w / 2 + 1, 1]) { s, n in for i in 0..<n { s[i] = 1 / Foundation.pow(max(f[i], floor), decay) } }
    }

    public func initialParameters(rng: inout SeededRNG) -> Tensor {
        Tensor.normal([batch, 3, height, width / 2 + 1, 2], std: 0.01, rng: &rng)
    }

    public func image(_ parameters: Tensor) throws -> Tensor {
        try parameters.checkShape([batch, 3, height, width / 2 + 1, 2], "Fourier parameters")
        let t = try (parameters * stepScale).irfft2(width: width, normalization: .ortho)
        return try ColorDecorrelation.rgb(t, decorrelate: decorrelate)
    }
}
