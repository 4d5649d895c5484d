import GlimpseCore

/// How images are produced from optimised parameters. `image` must be differentiable in `parameters`.
public protocol ImageParameterization {
    /// Batch, height and width of the images.
    var batch: Int { get }
    var height: Int { get }
    var width: Int { get }
    /// Fresh parameters (seeded).
    func initialParameters(rng: inout SeededRNG) -> Tensor
    /// Images [B, 3, H, W] in [0, 1].
    func image(_ parameters: Tensor) throws -> Tensor
}

/// Lucid's colour decorrelation: `rgb = sigmoid(M · t)` per pixel, M the ImageNet colour correlation square root
/// divided by its largest column norm (0.46195).
enum ColorDecorrelation {
    static let matrix: [Float] = [0.26, 0.09, 0.02, 0.27, 0.00, -0.05, 0.27, -0.09, 0.03].map { $0 / 0.46195 }

    /// `sigmoid(M · t)` (decorrelated) or `sigmoid(t)`, as a 1×1 convolution.
    static func toRGB(_ t: Tensor, decorrelate: Bool) throws -> Tensor {
        guard decorrelate else { return t.sigmoid() }
        let m = try Tensor(matrix, shape: [3, 3, 1, 1])
        return try Tensor.conv2d(t, filter: m).sigmoid()
    }
}

/// Lucid's Fourier parameterization: spectrum parameters [B, 3, H, W/2+1, 2] ~ N(0, 0.01²), scaled by
/// `1/max(f, 1/max(H, W))^decay`, inverse real FFT (orthonormal) on FFTW, divided by 4, then colour.
public struct FourierImage: ImageParameterization {
    public let batch: Int, height: Int, width: Int
    public var decay: Float
    public var decorrelate: Bool
    private let scale: Tensor

    public init(batch: Int = 1, height: Int = 224, width: Int = 224, decay: Float = 1, decorrelate: Bool = true) throws {
        guard batch >= 1, height >= 8, width >= 8, decay >= 0 else {
            throw VisError.badOption("Fourier image needs batch >= 1, size >= 8 and decay >= 0")
        }
        (self.batch, self.height, self.width, self.decay, self.decorrelate) = (batch, height, width, decay, decorrelate)
        let wc = width / 2 + 1
        let floor = 1 / Float(max(height, width))
        var s = [Float](repeating: 0, count: height * wc)
        for ky in 0..<height {
            let fy = Float(ky <= (height - 1) / 2 ? ky : ky - height) / Float(height)
            for kx in 0..<wc {
                let fx = Float(kx) / Float(width)
                s[ky * wc + kx] = 1 / pow(max((fx * fx + fy * fy).squareRoot(), floor), decay)
            }
        }
        scale = try Tensor(s, shape: [height, wc, 1])
    }

    public func initialParameters(rng: inout SeededRNG) -> Tensor {
        Tensor.normal([batch, 3, height, width / 2 + 1, 2], std: 0.01, rng: &rng)
    }

    public func image(_ parameters: Tensor) throws -> Tensor {
        try parameters.checkShape([batch, 3, height, width / 2 + 1, 2], "Fourier parameters")
        let t = try (parameters * scale).irfft2(width: width, normalization: .ortho) * 0.25
        return try ColorDecorrelation.toRGB(t, decorrelate: decorrelate)
    }
}

/// Plain pixel parameters [B, 3, H, W] ~ N(0, 0.01²), then colour.
public struct PixelImage: ImageParameterization {
    public let batch: Int, height: Int, width: Int
    public var decorrelate: Bool

    public init(batch: Int = 1, height: Int = 224, width: Int = 224, decorrelate: Bool = true) throws {
        guard batch >= 1, height >= 8, width >= 8 else { throw VisError.badOption("pixel image needs batch >= 1 and size >= 8") }
        (self.batch, self.height, self.width, self.decorrelate) = (batch, height, width, decorrelate)
    }

    public func initialParameters(rng: inout SeededRNG) -> Tensor {
        Tensor.normal([batch, 3, height, width], std: 0.01, rng: &rng)
    }

    public func image(_ parameters: Tensor) throws -> Tensor {
        try parameters.checkShape([batch, 3, height, width], "pixel parameters")
        return try ColorDecorrelation.toRGB(parameters, decorrelate: decorrelate)
    }
}

/// Errors of feature visualization.
public enum VisError: Error, Equatable, CustomStringConvertible {
    case badOption(String)
    case badObjective(String)

    public var description: String {
        switch self {
        case let .badOption(m): return m
        case let .badObjective(m): return "bad objective: \(m)"
        }
    }
}

import Foundation
