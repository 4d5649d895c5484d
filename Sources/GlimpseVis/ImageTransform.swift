import Foundation
import GlimpseCore

/// A seeded random geometric transform of a batch of images (transformation robustness). A list of transforms is
/// applied by bilinear resampling (`ImageTransform.apply(_:to:rng:resampling:)`), differentiable in the images; one
/// random choice per call serves the whole batch, as in Lucid.
public enum ImageTransform: Sendable, Equatable {
    /// Pads every side by `n` pixels of the constant `value`.
    case pad(Int, value: Float)
    /// Lucid's jitter: a random crop that removes `d` pixels from each axis (offsets uniform in 0...d).
    case jitter(Int)
    /// Resizes to `Int(f · side)` with a factor `f` drawn from the list (bilinear, half-pixel centres).
    case scale([Float])
    /// Rotates about the centre by an angle in degrees drawn from the list; corners come in black (0).
    case rotate([Float])

    /// Lucid's `standard_transforms`: pad 12 (0.5), jitter 8, scale 0.90, 0.92, …, 1.10, rotate −10…10° (0° six
    /// times as likely), jitter 4. A 224² image comes out between 212² and 260².
    public static let standard: [ImageTransform] = [
        .pad(12, value: 0.5), .jitter(8), .scale((0..<11).map { 1 + Float($0 - 5) / 50 }),
        .rotate((-10...10).map(Float.init) + [0, 0, 0, 0, 0]), .jitter(4),
    ]

    /// How a list of transforms is resampled.
    public enum Resampling: String, Sendable, CaseIterable {
        /// The composite map is sampled once (one bilinear interpolation, however many transforms): sharper views
        /// and the cheapest step.
        case composite
        /// Each transform interpolates the previous one's output, as Lucid's and Lucent's transform ops do: the
        /// scale and the rotation each low-pass the view a little.
        case sequential
    }

    /// Applies `transforms` in order to x [B, C, H, W], drawing their random choices from `rng`.
    public static func apply(_ transforms: [ImageTransform], to x: Tensor, rng: inout SeededRNG,
                             resampling: Resampling = .composite) throws -> Tensor {
        guard x.rank == 4 else { throw VisError.badOption("transforms need images [B, C, H, W], found \(x.shape)") }
        guard !transforms.isEmpty else { return x }
        var stages: [WarpStage] = []
        var (h, w) = (x.shape[2], x.shape[3])
        for t in transforms {
            let stage = try t.draw(height: h, width: w, rng: &rng)
            stages.append(stage)
            (h, w) = (stage.outputHeight, stage.outputWidth)
        }
        switch resampling {
        case .composite:
            return try Warp(stages: stages, inputHeight: x.shape[2], inputWidth: x.shape[3]).sample(x)
        case .sequential:
            var y = x
            for stage in stages { y = try Warp(stages: [stage], inputHeight: y.shape[2], inputWidth: y.shape[3]).sample(y) }
            return y
        }
    }

    /// Draws the random choice of this transform for an input of `height`×`width`.
    func draw(height h: Int, width w: Int, rng: inout SeededRNG) throws -> WarpStage {
        func pick<T>(_ list: [T]) throws -> T {
            guard !list.isEmpty else { throw VisError.badOption("\(self): empty list of choices") }
            return list[Int(rng.next() % UInt64(list.count))]
        }
        switch self {
        case let .pad(n, value):
            guard n >= 0 else { throw VisError.badOption("pad must be >= 0, found \(n)") }
            return WarpStage(outputHeight: h + 2 * n, outputWidth: w + 2 * n,
                             map: .shift(dy: Float(-n), dx: Float(-n), fill: value, height: h, width: w))
        case let .jitter(d):
            guard d >= 0, d < h, d < w else { throw VisError.badOption("jitter \(d) does not fit a \(h)×\(w) image") }
            let dy = Int(rng.next() % UInt64(d + 1)), dx = Int(rng.next() % UInt64(d + 1))
            return WarpStage(outputHeight: h - d, outputWidth: w - d, map: .shift(dy: Float(dy), dx: Float(dx), fill: nil, height: h, width: w))
        case let .scale(factors):
            let f = try pick(factors)
            let (oh, ow) = (Int(f * Float(h)), Int(f * Float(w)))
            guard f > 0, oh >= 1, ow >= 1 else { throw VisError.badOption("scale factor \(f) leaves no image") }
            return WarpStage(outputHeight: oh, outputWidth: ow,
                             map: .scale(y: Float(h) / Float(oh), x: Float(w) / Float(ow)))
        case let .rotate(angles):
            let radians = try pick(angles) * .pi / 180
            return WarpStage(outputHeight: h, outputWidth: w, map: .rotate(cos: cos(radians), sin: sin(radians), height: h, width: w))
        }
    }
}
