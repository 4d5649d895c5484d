import Foundation
import GlimpseCore

/// A penalty on the untransformed images [B, 3, H, W]; the renderer minimises `−objective + Σ weight · penalty`.
public struct ImagePenalty {
    /// Human-readable description ("spectral(2)").
    public let name: String
    /// Multiplier of the penalty in the loss.
    public let weight: Float
    private let evaluate: (Tensor) throws -> Tensor

    /// A penalty computing a scalar tensor (differentiable) from the images.
    public init(name: String, weight: Float, evaluate: @escaping (Tensor) throws -> Tensor) {
        (self.name, self.weight, self.evaluate) = (name, weight, evaluate)
    }

    /// The unweighted penalty on `images`.
    public func value(_ images: Tensor) throws -> Tensor { try evaluate(images) }

    /// Frequency-domain penalty on FFTW: the image energy weighted by frequency,
    /// `Σ_k (f_k / f_max)^power · |X_k|² / (B·3·H·W)` over the full 2-D spectrum `X = rfft2_ortho(image)` of each
    /// image channel (interior rfft columns count twice, for their mirror), `f` in cycles per pixel and
    /// `f_max = √2 / 2` (the corner). By Parseval it lies between 0 and the mean squared pixel value; the DC term has
    /// weight 0, so brightness is free. `power` 2 is a Sobolev (gradient-energy) penalty; larger powers push on the
    /// highest frequencies only (the "optical illusion" patterns of unregularised optimisation).
    public static func spectral(weight: Float, power: Float = 2) throws -> ImagePenalty {
        guard weight >= 0, weight.isFinite, power > 0, power.isFinite else {
            throw VisError.badOption("the spectral penalty needs weight >= 0 and power > 0, found \(weight) and \(power)")
        }
        return ImagePenalty(name: "spectral(power \(power))", weight: weight) { images in
            guard images.rank == 4 else { throw VisError.badOption("the spectral penalty needs images [B, C, H, W], found \(images.shape)") }
            let (h, w) = (images.shape[2], images.shape[3])
            let weights = try frequencyWeights(height: h, width: w, power: power)
            let energy = try images.rfft2(normalization: .ortho).squared() * weights
            return try energy.sum() * (1 / Float(images.count))
        }
    }

    /// `(f / f_max)^power`, doubled for interior rfft columns, as [H, W/2+1, 1].
    static func frequencyWeights(height h: Int, width w: Int, power: Float) throws -> Tensor {
        let wc = w / 2 + 1, fMax = Float(0.5).squareRoot()
        let f = FrequencyGrid.magnitudes(height: h, width: w)
        return try Tensor((0..<f.count).map {
            FrequencyGrid.multiplicity(column: $0 % wc, width: w) * Foundation.pow(f[$0] / fMax, power)
        }, shape: [h, wc, 1])
    }
}
