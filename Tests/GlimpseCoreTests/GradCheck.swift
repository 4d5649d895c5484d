import GlimpseCore
import Testing

/// Central finite-difference check of reverse-mode gradients.
///
/// The checked scalar is `L = Σ f(x) ⊙ R` with a fixed random `R` (so no symmetric cancellation hides an
/// error), evaluated in float32 by the engine and summed in Double. With `eps = 1e-2` the truncation error of
/// the central difference is O(eps²) and the float32 rounding error about 1e-7·|L|/eps ≈ 1e-5·|L|, so
/// `|analytic − numeric| ≤ atol + rtol·|numeric|` with atol 2e-3 and rtol 2e-2 separates a right gradient from
/// a wrong one (a wrong rule gives errors of order 1).
func checkGradients(_ inputs: [Tensor], eps: Float = 1e-2, atol: Double = 2e-3, rtol: Double = 2e-2,
                    seed: UInt64 = 7, sourceLocation: SourceLocation = #_sourceLocation,
                    _ f: ([Tensor]) throws -> Tensor) throws {
    var rng = SeededRNG(seed: seed)
    let probe = try f(inputs)
    let r = Tensor.normal(probe.shape, rng: &rng)
    func loss(_ xs: [Tensor]) throws -> Double {
        let y = try f(xs)
        return zip(y.scalars, r.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }
    let tracked = inputs.map { $0.requiringGradient() }
    let y = try f(tracked)
    let grads = try gradient(of: y, wrt: tracked, seed: r)
    for (k, x) in inputs.enumerated() {
        let analytic = grads[k].scalars
        for i in 0..<x.count {
            var plus = x, minus = x
            plus.withUnsafeMutableBufferPointer { $0[i] += eps }
            minus.withUnsafeMutableBufferPointer { $0[i] -= eps }
            var xsPlus = inputs, xsMinus = inputs
            xsPlus[k] = plus; xsMinus[k] = minus
            let numeric = (try loss(xsPlus) - loss(xsMinus)) / (2 * Double(eps))
            let err = abs(Double(analytic[i]) - numeric)
            #expect(err <= atol + rtol * abs(numeric),
                    "input \(k) element \(i): analytic \(analytic[i]) vs numeric \(numeric)", sourceLocation: sourceLocation)
            if err > atol + rtol * abs(numeric) { return }
        }
    }
}

/// Random values with magnitude at least `margin` (keeps piecewise-linear ops away from their kinks).
func awayFromZero(_ shape: [Int], margin: Float = 0.15, rng: inout SeededRNG) -> Tensor {
    let t = Tensor.normal(shape, rng: &rng)
    return try! Tensor(t.scalars.map { $0 >= 0 ? $0 + margin : $0 - margin }, shape: shape)
}

func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
