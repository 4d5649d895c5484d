import GlimpseCore

/// Lucid's colour decorrelation: `rgb = sigmoid(M · t)` per pixel, where M is the square root of the ImageNet
/// colour correlation matrix divided by its largest column norm (0.46195), so that independent channels of `t`
/// become natural colour statistics.
enum ColorDecorrelation {
    /// M, row-major [out, in].
    static let matrix: [Float] = [0.26, 0.09, 0.02, 0.27, 0.00, -0.05, 0.27, -0.09, 0.03].map { $0 / 0.46195 }

    /// `sigmoid(M · t)` (decorrelated) or `sigmoid(t)` for t [B, 3, H, W]; M is applied as a 1×1 convolution.
    static func rgb(_ t: Tensor, decorrelate: Bool) throws -> Tensor {
        guard decorrelate else { return t.sigmoid() }
        let m = try Tensor(matrix, shape: [3, 3, 1, 1])
        return try Tensor.conv2d(t, filter: m).sigmoid()
    }
}
