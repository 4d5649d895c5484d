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
    /// Lucent's jitter (kornia `translate`): shifts the content by 0…d−1 pixels right and down, same size, black
    /// fill, bilinear with zero padding (kornia's normalisation makes the shift `k·n/(n−1)`, not a whole pixel).
    case lucentTranslate(Int)
    /// Lucent's `random_scale`: resizes to `ceil(f · side)` (bilinear, aligned corners), then zero-pads every side
    /// by `max(0, ceil((side − new)/2))`.
    case lucentScale([Float])
    /// Lucent's `random_rotate` (kornia `warp_affine` about the centre, bilinear, zero padding).
    case lucentRotate([Float])

    /// Lucid's `standard_transforms`: pad 12 (0.5), jitter 8, scale 0.90, 0.92, …, 1.10, rotate −10…10° (0° six
    /// times as likely), jitter 4. A 224² image comes out between 212² and 260².
    public static let standard: [ImageTransform] = [
        .pad(12, value: 0.5), .jitter(8), .scale((0..<11).map { 1 + Float($0 - 5) / 50 }),
        .rotate((-10...10).map(Float.init) + [0, 0, 0, 0, 0]), .jitter(4),
    ]

    /// How a list of transforms is resampled (Lucent's transforms are always resampled one by one).
    public enum Resampling: String, Sendable, CaseIterable {
        /// The composite map is sampled once (one bilinear interpolation, however many transforms): sharper views
        /// and the cheapest step.
        case composite
        /// Each transform interpolates the previous one's output, as Lucid's and Lucent's transform ops do: the
        /// scale and the rotation each low-pass the view a little.
        case sequential
    }

    /// Lucent 0.1.8's `standard_transforms`: pad 12 (0.5), translate 0…7 (black fill), scale 0.90…1.10 (aligned
    /// corners, zero padded back to the input size when smaller), rotate −10…10° (0° six times as likely, zero
    /// padded), translate 0…3. A 224² image comes out 248² to 273².
    public static let lucentStandard: [ImageTransform] = [
        .pad(12, value: 0.5), .lucentTranslate(8), .lucentScale((0..<11).map { 1 + Float($0 - 5) / 50 }),
        .lucentRotate((-10...10).map(Float.init) + [0, 0, 0, 0, 0]), .lucentTranslate(4),
    ]

    /// Applies `transforms` in order to x [B, C, H, W], drawing their random choices from `rng` (recorded for
    /// autodiff when `x` is tracked).
    public static func apply(_ transforms: [ImageTransform], to x: Tensor, rng: inout SeededRNG,
                             resampling: Resampling = .composite) throws -> Tensor {
        guard x.rank == 4 else { throw VisError.badOption("transforms need images [B, C, H, W], found \(x.shape)") }
        return try draw(transforms, height: x.shape[2], width: x.shape[3], rng: &rng, resampling: resampling).apply(x)
    }

    /// Draws the random choices of `transforms` for `height`×`width` images as resampling plans. Lucent's
    /// transforms are always resampled one by one, as Lucent does.
    public static func draw(_ transforms: [ImageTransform], height: Int, width: Int, rng: inout SeededRNG,
                            resampling: Resampling = .composite) throws -> TransformDraw {
        var stages: [WarpStage] = []
        var (h, w) = (height, width)
        for t in transforms {
            let stage = try t.draw(height: h, width: w, rng: &rng)
            stages.append(stage)
            (h, w) = (stage.outputHeight, stage.outputWidth)
        }
        guard !stages.isEmpty else { return TransformDraw(plans: []) }
        if resampling == .composite, !stages.contains(where: \.zeroTaps) {
            return TransformDraw(plans: [ResamplePlan(stages: stages, inputHeight: height, inputWidth: width)])
        }
        var plans: [ResamplePlan] = []
        (h, w) = (height, width)
        for stage in stages {
            plans.append(ResamplePlan(stages: [stage], inputHeight: h, inputWidth: w))
            (h, w) = (stage.outputHeight, stage.outputWidth)
        }
        return TransformDraw(plans: plans)
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
            return WarpStage.shift(height: h + 2 * n, width: w + 2 * n, dy: Float(-n), dx: Float(-n))
                .filling(value, height: h, width: w)
        case let .jitter(d):
            guard d >= 0, d < h, d < w else { throw VisError.badOption("jitter \(d) does not fit a \(h)×\(w) image") }
            let dy = Int(rng.next() % UInt64(d + 1)), dx = Int(rng.next() % UInt64(d + 1))
            return WarpStage.shift(height: h - d, width: w - d, dy: Float(dy), dx: Float(dx))
        case let .scale(factors):
            let f = try pick(factors)
            let (oh, ow) = (Int(f * Float(h)), Int(f * Float(w)))
            guard f > 0, oh >= 1, ow >= 1 else { throw VisError.badOption("scale factor \(f) leaves no image") }
            let (ry, rx) = (Float(h) / Float(oh), Float(w) / Float(ow))
            return WarpStage(outputHeight: oh, outputWidth: ow, yy: ry, yx: 0, y0: 0.5 * ry - 0.5, xy: 0, xx: rx, x0: 0.5 * rx - 0.5)
        case let .rotate(angles):
            let (c, s) = try Self.rotation(pick(angles))
            let (cy, cx) = (Float(h - 1) / 2, Float(w - 1) / 2)
            return WarpStage(outputHeight: h, outputWidth: w, yy: c, yx: s, y0: cy - c * cy - s * cx,
                             xy: -s, xx: c, x0: cx + s * cy - c * cx).filling(0, height: h, width: w)
        case let .lucentTranslate(d):
            guard d >= 1, h >= 2, w >= 2 else { throw VisError.badOption("translate \(d) needs d >= 1 and sides >= 2") }
            // dx first, then dy, as Lucent draws them; kornia's pixel normalisation stretches the shift by n/(n−1).
            let dx = Float(rng.next() % UInt64(d)), dy = Float(rng.next() % UInt64(d))
            return WarpStage.shift(height: h, width: w, dy: -dy * Float(h) / Float(h - 1), dx: -dx * Float(w) / Float(w - 1)).zeroPadded
        case let .lucentScale(factors):
            let f = try pick(factors)
            let (sh, sw) = (Int((f * Float(h)).rounded(.up)), Int((f * Float(w)).rounded(.up)))
            guard f > 0, sh >= 2, sw >= 2, h >= 2, w >= 2 else { throw VisError.badOption("scale factor \(f) leaves no image") }
            let (py, px) = (max(0, Int((Float(h - sh) / 2).rounded(.up))), max(0, Int((Float(w - sw) / 2).rounded(.up))))
            let (ry, rx) = (Float(h - 1) / Float(sh - 1), Float(w - 1) / Float(sw - 1))
            // Lucent pads [pad_y, pad_x] * 2: left pad_y, right pad_x, top pad_y, bottom pad_x (equal for squares).
            return WarpStage(outputHeight: sh + py + px, outputWidth: sw + py + px, yy: ry, yx: 0, y0: -Float(py) * ry,
                             xy: 0, xx: rx, x0: -Float(py) * rx)
                .filling(0, y: (-ry / 2)...(Float(h - 1) + ry / 2), x: (-rx / 2)...(Float(w - 1) + rx / 2))
        case let .lucentRotate(angles):
            let (c, s) = try Self.rotation(pick(angles))
            // kornia's warp_affine normalises pixel i to (i + 0.5)(n − 1)/n before rotating about ((n − 1)/2):
            // source = D⁻¹ (R (D (o + ½) − centre) + centre) − ½ with D = diag((h − 1)/h, (w − 1)/w).
            let (dy, dx) = (Float(h - 1) / Float(h), Float(w - 1) / Float(w))
            let (cy, cx) = (Float(h - 1) / 2, Float(w - 1) / 2)
            let (yy, yx, xy, xx) = (c, s * dx / dy, -s * dy / dx, c)
            let y0 = (c * (dy / 2 - cy) + s * (dx / 2 - cx) + cy) / dy - 0.5
            let x0 = (-s * (dy / 2 - cy) + c * (dx / 2 - cx) + cx) / dx - 0.5
            return WarpStage(outputHeight: h, outputWidth: w, yy: yy, yx: yx, y0: y0, xy: xy, xx: xx, x0: x0).zeroPadded
        }
    }

    /// (cos, sin) of an angle in degrees.
    private static func rotation(_ degrees: Float) -> (Float, Float) {
        let radians = degrees * .pi / 180
        return (cos(radians), sin(radians))
    }
}
