import GlimpseCore

/// The spatial transformation of StAdv (Xiao et al., ICLR 2018): a per-pixel flow field f [N, 2, H, W] (channel 0
/// the row displacement, channel 1 the column displacement, in pixels) moves each output pixel's sampling point to
/// (i + f₀, j + f₁) of the source image, read by bilinear interpolation; sampling points are clamped to the image
/// (replicate border), where the derivative along the clamped axis is 0.
public enum FlowField {
    /// The warped images [N, C, H, W] of `images` [N, C, H, W] under `flow` [N, 2, H, W] (not recorded).
    public static func warp(_ images: Tensor, flow: Tensor) throws -> Tensor {
        try check(images, flow)
        let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        let plane = h * w
        return images.withUnsafeBufferPointer { src in
            flow.withUnsafeBufferPointer { f in
                Tensor(shape: images.shape) { out, _ in
                    for b in 0..<n {
                        for p in 0..<plane {
                            let s = Sample(f, b: b, p: p, h: h, w: w)
                            for ch in 0..<c {
                                let base = (b * c + ch) * plane
                                out[base + p] = s.value(src, base: base, w: w)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The vector-Jacobian product of `warp` with respect to the flow: for the upstream gradient `g` [N, C, H, W]
    /// (∂L/∂warped), ∂L/∂flow [N, 2, H, W].
    public static func flowGradient(_ images: Tensor, flow: Tensor, upstream g: Tensor) throws -> Tensor {
        try check(images, flow)
        guard g.shape == images.shape else { throw AttackError.badInput("flow gradient: upstream \(g.shape) is not \(images.shape)") }
        let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        let plane = h * w
        return images.withUnsafeBufferPointer { src in
            flow.withUnsafeBufferPointer { f in
                g.withUnsafeBufferPointer { up in
                    Tensor(shape: flow.shape) { out, _ in
                        for b in 0..<n {
                            for p in 0..<plane {
                                let s = Sample(f, b: b, p: p, h: h, w: w)
                                var gy: Float = 0, gx: Float = 0
                                for ch in 0..<c {
                                    let base = (b * c + ch) * plane
                                    let (dy, dx) = s.derivatives(src, base: base, w: w)
                                    gy += up[base + p] * dy
                                    gx += up[base + p] * dx
                                }
                                out[(b * 2) * plane + p] = gy
                                out[(b * 2 + 1) * plane + p] = gx
                            }
                        }
                    }
                }
            }
        }
    }

    /// Xiao et al.'s smoothness loss, recorded in the graph when `flow` is tracked:
    /// `Σ_p Σ_{q ∈ N(p)} √(‖f(p) − f(q)‖² + 1e-8)` over the 4-neighbourhood N (each neighbouring pair counted from both
    /// sides), summed over the batch.
    public static func smoothnessLoss(_ flow: Tensor) throws -> Tensor {
        guard flow.rank == 4, flow.shape[1] == 2 else { throw AttackError.badInput("a flow field is [N, 2, H, W], found \(flow.shape)") }
        let (h, w) = (flow.shape[2], flow.shape[3])
        var total = Tensor(scalar: 0)
        for (axis, size) in [(2, h), (3, w)] where size > 1 {
            let d = try flow.sliced(axis: axis, 1..<size) - flow.sliced(axis: axis, 0..<(size - 1))
            total = try total + (d.squared().sum(axes: [1]) + 1e-8).sqrt().sum()
        }
        return try total * 2
    }

    /// (∂L_flow/∂f, L_flow per image) of the smoothness loss.
    static func smoothnessGradient(_ flow: Tensor) throws -> (Tensor, [Float]) {
        let tracked = flow.detached().requiringGradient()
        let n = flow.shape[0]
        let perImage = try (0..<n).map { i in try smoothnessLoss(tracked.sliced(axis: 0, i..<(i + 1))) }
        let total = try perImage.dropFirst().reduce(perImage[0]) { try $0 + $1 }
        return (try gradient(of: total, wrt: [tracked])[0], perImage.map(\.scalar))
    }

    /// A flow field for `images` with entries ~ U(−range, range).
    static func initial(for images: Tensor, range: Float, rng: inout SeededRNG) -> Tensor {
        Tensor.uniform([images.shape[0], 2, images.shape[2], images.shape[3]], low: -range, high: range, rng: &rng)
    }

    private static func check(_ images: Tensor, _ flow: Tensor) throws {
        guard images.rank == 4, flow.shape == [images.shape[0], 2, images.shape[2], images.shape[3]] else {
            throw AttackError.badInput("a flow field for images \(images.shape) is [N, 2, H, W], found \(flow.shape)")
        }
        let finite = flow.isFinite
        guard finite else { throw AttackError.badInput("the flow field has NaN or infinite values") }
    }

    /// The bilinear sampling point of one output pixel.
    private struct Sample {
        let y0: Int, y1: Int, x0: Int, x1: Int
        let wy: Float, wx: Float
        /// 1 where the coordinate lies inside the image (its derivative passes), 0 where it was clamped.
        let inY: Float, inX: Float

        init(_ f: UnsafeBufferPointer<Float>, b: Int, p: Int, h: Int, w: Int) {
            let plane = h * w
            let y = Float(p / w) + f[(b * 2) * plane + p], x = Float(p % w) + f[(b * 2 + 1) * plane + p]
            let cy = Swift.min(Swift.max(y, 0), Float(h - 1)), cx = Swift.min(Swift.max(x, 0), Float(w - 1))
            inY = y == cy ? 1 : 0
            inX = x == cx ? 1 : 0
            y0 = Swift.min(Int(cy.rounded(.down)), h - 1)
            x0 = Swift.min(Int(cx.rounded(.down)), w - 1)
            y1 = Swift.min(y0 + 1, h - 1)
            x1 = Swift.min(x0 + 1, w - 1)
            wy = cy - Float(y0)
            wx = cx - Float(x0)
        }

        func value(_ s: UnsafeBufferPointer<Float>, base: Int, w: Int) -> Float {
            let a = s[base + y0 * w + x0], b = s[base + y0 * w + x1], c = s[base + y1 * w + x0], d = s[base + y1 * w + x1]
            return (1 - wy) * ((1 - wx) * a + wx * b) + wy * ((1 - wx) * c + wx * d)
        }

        /// (∂value/∂y, ∂value/∂x).
        func derivatives(_ s: UnsafeBufferPointer<Float>, base: Int, w: Int) -> (Float, Float) {
            let a = s[base + y0 * w + x0], b = s[base + y0 * w + x1], c = s[base + y1 * w + x0], d = s[base + y1 * w + x1]
            let dy = (1 - wx) * (c - a) + wx * (d - b)
            let dx = (1 - wy) * (b - a) + wy * (d - c)
            return (inY * dy, inX * dx)
        }
    }
}
