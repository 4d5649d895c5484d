import Foundation
import GlimpseCore

/// A seeded random image transform, differentiable in the image (transformation robustness).
public enum ImageTransform: Sendable {
    /// Pads every side by `n` pixels of a constant value.
    case pad(Int, value: Float)
    /// Random crop that removes `d` pixels in total from each axis (Lucid's jitter: the image shrinks by d).
    case jitter(Int)
    /// Bilinear resize by a factor drawn from the list.
    case scale([Float])
    /// Rotation about the centre by an angle in degrees drawn from the list (bilinear, zero fill).
    case rotate([Float])

    /// Lucid's `standard_transforms`: pad 12 (0.5), jitter 8, scale 0.90…1.10, rotate −10…10° (0° six times as
    /// likely), jitter 4.
    public static let standard: [ImageTransform] = [
        .pad(12, value: 0.5), .jitter(8), .scale((0..<11).map { 1 + Float($0 - 5) / 50 }),
        .rotate((-10...10).map(Float.init) + [0, 0, 0, 0, 0]), .jitter(4),
    ]

    /// Applies the transform to x [B, C, H, W].
    public func apply(_ x: Tensor, rng: inout SeededRNG) throws -> Tensor {
        let (h, w) = (x.shape[2], x.shape[3])
        switch self {
        case let .pad(n, value):
            return try (x - value).padded(top: n, bottom: n, left: n, right: n) + value
        case let .jitter(d):
            guard d > 0, d < h, d < w else { return x }
            let dy = Int(rng.next() % UInt64(d + 1)), dx = Int(rng.next() % UInt64(d + 1))
            return try x.padded(top: -dy, bottom: -(d - dy), left: -dx, right: -(d - dx))
        case let .scale(factors):
            guard let f = factors.randomElement(using: &rng), f != 1 else { return x }
            return try x.resizedBilinear(height: max(8, Int(f * Float(h))), width: max(8, Int(f * Float(w))))
        case let .rotate(angles):
            guard let degrees = angles.randomElement(using: &rng), degrees != 0 else { return x }
            return try rotated(x, degrees: degrees)
        }
    }

    /// Bilinear rotation as a sum of four constant-weighted gathers (so gradients flow to the image).
    private func rotated(_ x: Tensor, degrees: Float) throws -> Tensor {
        let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        let theta = degrees * .pi / 180, c = cos(theta), s = sin(theta)
        let cy = Float(h - 1) / 2, cx = Float(w - 1) / 2
        var indices = [[Int32]](repeating: [Int32](repeating: -1, count: planes * h * w), count: 4)
        var weights = [[Float]](repeating: [Float](repeating: 0, count: h * w), count: 4)
        for y in 0..<h {
            for xo in 0..<w {
                let dy = Float(y) - cy, dx = Float(xo) - cx
                let sy = c * dy + s * dx + cy, sx = -s * dy + c * dx + cx
                let y0 = Int(sy.rounded(.down)), x0 = Int(sx.rounded(.down))
                let fy = sy - Float(y0), fx = sx - Float(x0)
                let corners = [(y0, x0, (1 - fy) * (1 - fx)), (y0, x0 + 1, (1 - fy) * fx), (y0 + 1, x0, fy * (1 - fx)), (y0 + 1, x0 + 1, fy * fx)]
                for (k, (yy, xx, wt)) in corners.enumerated() where yy >= 0 && yy < h && xx >= 0 && xx < w {
                    weights[k][y * w + xo] = wt
                    for p in 0..<planes { indices[k][p * h * w + y * w + xo] = Int32(p * h * w + yy * w + xx) }
                }
            }
        }
        var out = Tensor(zeros: x.shape)
        for k in 0..<4 {
            let wt = try Tensor(weights[k], shape: [1, 1, h, w])
            out = try out + x.gathered(indices[k], shape: x.shape) * wt
        }
        return out
    }
}
