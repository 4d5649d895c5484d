import Foundation
import GlimpseCore

/// MACO (Fel et al. 2023): only the Fourier **phase** is optimised; the magnitude spectrum is fixed to that of natural
/// images, so the result stays in their amplitude statistics. Parameters: phases [B, 3, H, W/2+1] ~ N(0, 1). Image:
/// `φ̂ = standardise(φ)`, `u = irfft2_ortho(A·cos φ̂ + i·A·sin φ̂)`, `rgb = sigmoid(M · standardise(u))`, where
/// standardise is over each image's values (zero mean, unit deviation) and M is the colour decorrelation matrix.
/// The reference code's random crops and noise are replaced by the renderer's transforms.
public struct MACOImage: ImageParameterization {
    public let batch: Int, height: Int, width: Int
    /// The fixed magnitude, [3, H, W/2+1, 1].
    let magnitude: Tensor

    /// A MACO image of the given size with magnitude `spectrum` (which must be [3, H, W/2+1]).
    public init(batch: Int = 1, height: Int = 224, width: Int = 224, spectrum: MagnitudeSpectrum) throws {
        guard batch >= 1, height >= 8, width >= 8 else {
            throw VisError.badOption("a MACO image needs batch >= 1 and sides >= 8")
        }
        guard spectrum.values.shape == [3, height, width / 2 + 1] else {
            throw VisError.badOption("the magnitude spectrum is \(spectrum.values.shape), the image needs [3, \(height), \(width / 2 + 1)]")
        }
        (self.batch, self.height, self.width) = (batch, height, width)
        magnitude = try spectrum.values.reshaped([3, height, width / 2 + 1, 1])
    }

    public func initialParameters(rng: inout SeededRNG) -> Tensor {
        Tensor.normal([batch, 3, height, width / 2 + 1], rng: &rng)
    }

    public func image(_ parameters: Tensor) throws -> Tensor {
        try parameters.checkShape([batch, 3, height, width / 2 + 1], "MACO phases")
        let phase = try Self.standardized(parameters).reshaped([batch, 3, height, width / 2 + 1, 1])
        let spectrum = try Tensor.concatenate([magnitude * phase.cos(), magnitude * phase.sin()], axis: 4)
        let u = try spectrum.irfft2(width: width, normalization: .ortho)
        return try ColorDecorrelation.rgb(Self.standardized(u), decorrelate: true)
    }

    /// `(x − mean) / (std + 1e-5)` over all values of each batch item.
    static func standardized(_ x: Tensor) throws -> Tensor {
        let axes = Array(1..<x.rank)
        let centred = try x - x.mean(axes: axes, keepDims: true)
        return try centred / (centred.squared().mean(axes: axes, keepDims: true).sqrt() + 1e-5)
    }
}

/// A magnitude spectrum for `MACOImage`: [3, H, W/2+1] values in decorrelated colour space.
public struct MagnitudeSpectrum {
    /// [3, H, W/2+1].
    public let values: Tensor

    /// Exponent of `1/f^α` fitted to the mean |rfft2| of natural photos in decorrelated colour space (the eight sample
    /// photos at 224², `MagnitudeSpectrum.mean(of:)` then `fittedExponent`; the test `naturalExponentMatchesThePhotos`
    /// re-measures it: 1.336). The ImageNet spectrum shipped with xplique fits 2.1-2.3 on its own grid.
    public static let naturalExponent: Float = 1.34

    /// Wraps stored values [3, H, W/2+1] (non-negative, finite).
    public init(values: Tensor) throws {
        guard values.rank == 3, values.shape[0] == 3, values.isFinite, values.scalars.allSatisfy({ $0 >= 0 }) else {
            throw VisError.badOption("a magnitude spectrum must be finite, non-negative, [3, H, W/2+1]; found \(values.shape)")
        }
        self.values = values
    }

    /// `1 / max(f, 1/max(H, W))^alpha` for all three channels.
    public static func powerLaw(alpha: Float = naturalExponent, height: Int, width: Int) throws -> MagnitudeSpectrum {
        guard alpha >= 0, alpha.isFinite else { throw VisError.badOption("the spectrum exponent must be >= 0, found \(alpha)") }
        let floor = 1 / Float(max(height, width))
        let one = FrequencyGrid.magnitudes(height: height, width: width).map { 1 / Foundation.pow(max($0, floor), alpha) }
        return try MagnitudeSpectrum(values: Tensor(one + one + one, shape: [3, height, width / 2 + 1]))
    }

    /// Mean |rfft2_ortho| of images [N, 3, H, W] in [0, 1], taken in decorrelated colour space (`M⁻¹ · x`).
    public static func mean(of images: Tensor) throws -> MagnitudeSpectrum {
        guard images.rank == 4, images.shape[1] == 3, images.shape[0] >= 1 else {
            throw VisError.badOption("a spectrum needs images [N, 3, H, W], found \(images.shape)")
        }
        return try withoutGradient {
            let z = try ColorDecorrelation.decorrelated(images)
            let s = try z.rfft2(normalization: .ortho)
            let magnitude = try (s.squared().sum(axes: [4]) + 1e-12).sqrt()
            return try MagnitudeSpectrum(values: magnitude.mean(axes: [0]))
        }
    }

    /// A stored spectrum (for instance xplique's ImageNet one, [3, 512, 257]) resized bilinearly to the image.
    public func resized(height: Int, width: Int) throws -> MagnitudeSpectrum {
        let r = try withoutGradient { try values.resizedBilinear(height: height, width: width / 2 + 1) }
        return try MagnitudeSpectrum(values: r.clamped(0, .greatestFiniteMagnitude))
    }

    /// The exponent α of the least-squares fit `log A = c − α log f`, over all channels, for
    /// `2/max(H, W) < f < 0.4` (below, the grid is too coarse; above, the corners are sparse).
    public var fittedExponent: Float {
        let (h, wc) = (values.shape[1], values.shape[2])
        let w = (wc - 1) * 2
        let f = FrequencyGrid.magnitudes(height: h, width: w)
        let a = values.scalars
        var (n, sx, sy, sxx, sxy) = (0.0, 0.0, 0.0, 0.0, 0.0)
        for c in 0..<3 {
            for i in 0..<f.count where f[i] > 2 / Float(max(h, w)) && f[i] < 0.4 && a[c * f.count + i] > 0 {
                let x = Double(Foundation.log(f[i])), y = Double(Foundation.log(a[c * f.count + i]))
                n += 1; sx += x; sy += y; sxx += x * x; sxy += x * y
            }
        }
        return n < 2 ? 0 : Float(-(n * sxy - sx * sy) / (n * sxx - sx * sx))
    }
}
