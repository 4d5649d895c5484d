import GlimpseCore

/// Central finite differences against reverse-mode gradients of the scalar `f` at `p0`, for every `every`-th element:
/// returns the worst `|numeric − analytic| / (atol + rtol·|numeric|)` (≤ 1 passes; a wrong rule gives ≫ 1).
func worstGradientError(at p0: Tensor, every: Int = 1, eps: Float = 1e-2, atol: Float = 2e-3, rtol: Float = 1e-2,
                        _ f: (Tensor) throws -> Tensor) throws -> Float {
    let pt = p0.requiringGradient()
    let g = try gradient(of: try f(pt), wrt: [pt])[0].scalars
    var worst: Float = 0
    for i in stride(from: 0, to: p0.count, by: every) {
        var a = p0, b = p0
        a.withUnsafeMutableBufferPointer { $0[i] += eps }
        b.withUnsafeMutableBufferPointer { $0[i] -= eps }
        let numeric = (try f(a).scalar - f(b).scalar) / (2 * eps)
        worst = max(worst, abs(numeric - g[i]) / (atol + rtol * abs(numeric)))
    }
    return worst
}
