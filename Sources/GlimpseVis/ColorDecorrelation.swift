import GlimpseCore

/// Lucid's colour decorrelation: `rgb = sigmoid(M · t)` per pixel, where M is the square root of the ImageNet
/// colour correlation matrix divided by its largest column norm (0.46195), so that independent channels of `t`
/// become natural colour statistics.
enum ColorDecorrelation {
    /// M, row-major [out, in].
    static let matrix: [Float] = [0.26, 0.09, 0.02, 0.27, 0.00, -0.05, 0.27, -0.09, 0.03].map { $0 / 0.46195 }

    /// M⁻¹, row-major (the adjugate over the determinant, computed in Double).
    static let inverse: [Float] = {
        let m = matrix.map(Double.init)
        func a(_ r: Int, _ c: Int) -> Double { m[3 * r + c] }
        let cof: [Double] = [
            a(1, 1) * a(2, 2) - a(1, 2) * a(2, 1), a(0, 2) * a(2, 1) - a(0, 1) * a(2, 2), a(0, 1) * a(1, 2) - a(0, 2) * a(1, 1),
            a(1, 2) * a(2, 0) - a(1, 0) * a(2, 2), a(0, 0) * a(2, 2) - a(0, 2) * a(2, 0), a(0, 2) * a(1, 0) - a(0, 0) * a(1, 2),
            a(1, 0) * a(2, 1) - a(1, 1) * a(2, 0), a(0, 1) * a(2, 0) - a(0, 0) * a(2, 1), a(0, 0) * a(1, 1) - a(0, 1) * a(1, 0),
        ]
        let det = a(0, 0) * cof[0] + a(0, 1) * cof[3] + a(0, 2) * cof[6]
        return cof.map { Float($0 / det) }
    }()

    /// `sigmoid(M · t)` (decorrelated) or `sigmoid(t)` for t [B, 3, H, W]; M is applied as a 1×1 convolution.
    static func rgb(_ t: Tensor, decorrelate: Bool) throws -> Tensor {
        guard decorrelate else { return t.sigmoid() }
        let m = try Tensor(matrix, shape: [3, 3, 1, 1])
        return try Tensor.conv2d(t, filter: m).sigmoid()
    }

    /// `M⁻¹ · x` per pixel for x [B, 3, H, W] (linear colours to decorrelated ones).
    static func decorrelated(_ x: Tensor) throws -> Tensor {
        try Tensor.conv2d(x, filter: Tensor(inverse, shape: [3, 3, 1, 1]))
    }

    /// The `t` with `rgb(t) ≈ images`: `M⁻¹ · logit(x)` (or `logit(x)`), x clamped to [0.002, 0.998] first.
    static func preimage(of images: Tensor, decorrelate: Bool) throws -> Tensor {
        let x = images.clamped(0.002, 0.998)
        let logit = try (x / (1 - x)).log()
        return decorrelate ? try decorrelated(logit) : logit
    }
}
