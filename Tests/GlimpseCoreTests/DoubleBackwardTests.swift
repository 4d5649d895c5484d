import GlimpseCore
import Testing

/// Double backward (gradients of gradients) and the switchable activation gradient rules.
@Suite struct DoubleBackwardTests {
    struct Net {
        let w1: Tensor, w2: Tensor, fc: Tensor, r: Tensor

        /// Pre-activation of the smooth ReLU6 layer.
        func preActivation(_ x: Tensor) throws -> Tensor {
            try Tensor.conv2d(x, filter: w1, options: .init(stride: 1, padding: 1))
        }

        /// ⟨∇ₓ logit₀(x), r⟩ with the smooth surrogate in the backward pass, computed with `createGraph`.
        /// One activation layer: the outer backward then sees the surrogate only through its own
        /// (exactly differentiated) formula, so finite differences of the true function are the reference.
        /// (Behind a second activation the outer pass would also use the surrogate for the forward ReLU,
        /// as ADV²'s reference code does, and no finite difference can check that.)
        func probe(_ x: Tensor) throws -> Tensor {
            try withActivationGradient(.smooth(tau: 0.05)) {
                let a = try preActivation(x).relu6()
                let z2 = try Tensor.conv2d(a, filter: w2, options: .init(stride: 2, padding: 1, groups: 3))
                let logits = try Tensor.linear(z2.globalAvgPool(), weight: fc, bias: nil)
                let g = try gradient(of: try logits.sliced(axis: 1, 0..<1).sum(), wrt: [x], createGraph: true)[0]
                return try (g * r).sum()
            }
        }
    }

    /// The surrogate h jumps at 0 (and ReLU6's at 6), so a central difference is only meaningful where no
    /// pre-activation lies within reach of a jump: inputs are drawn until every pre-activation is at least
    /// 0.02 away from 0 and 6, and the step (1e-3) moves pre-activations by far less than that.
    @Test func doubleBackwardMatchesFiniteDifferences() throws {
        var rng = SeededRNG(seed: 31)
        let net = Net(w1: Tensor.normal([3, 2, 3, 3], std: 0.7, rng: &rng), w2: Tensor.normal([3, 1, 3, 3], std: 0.7, rng: &rng),
                      fc: Tensor.normal([4, 3], rng: &rng), r: Tensor.normal([1, 2, 6, 6], rng: &rng))
        var x = Tensor.normal([1, 2, 6, 6], rng: &rng)
        func clearOfJumps(_ x: Tensor) throws -> Bool {
            try net.preActivation(x).scalars.allSatisfy { abs($0) > 0.02 && abs($0 - 6) > 0.02 }
        }
        var attempts = 0
        while try !clearOfJumps(x) && attempts < 200 { x = Tensor.normal([1, 2, 6, 6], rng: &rng); attempts += 1 }
        #expect(try clearOfJumps(x))
        let xt = x.requiringGradient()
        let analytic = try gradient(of: try net.probe(xt), wrt: [xt])[0].scalars
        #expect(analytic.contains { abs($0) > 1e-3 }, "second-order gradient through the surrogate must not vanish")
        let eps: Float = 1e-3
        var worst = 0.0
        for i in 0..<x.count {
            var plus = x, minus = x
            plus.withUnsafeMutableBufferPointer { $0[i] += eps }
            minus.withUnsafeMutableBufferPointer { $0[i] -= eps }
            let numeric = Double(try net.probe(plus.requiringGradient()).scalar - net.probe(minus.requiringGradient()).scalar) / (2 * Double(eps))
            worst = max(worst, abs(numeric - Double(analytic[i])) / (5e-3 + 2e-2 * abs(numeric)))
        }
        #expect(worst <= 1, "double backward differs from finite differences (normalised error \(worst))")
    }

    @Test func doubleBackwardOfSmoothOps() throws {
        // f(x) = Σ ⟨∇ₓ Σ softplus(W x)ᵀ tanh(x), r⟩ exercises matmul, softplus, tanh and products twice.
        var rng = SeededRNG(seed: 32)
        let w = Tensor.normal([4, 4], rng: &rng), r = Tensor.normal([2, 4], rng: &rng)
        try checkGradients([Tensor.normal([2, 4], rng: &rng)]) { xs in
            let x = xs[0].isTracked ? xs[0] : xs[0].requiringGradient()
            let y = try (Tensor.matmul(x, w).softplus() * x.tanh()).sum()
            let g = try gradient(of: y, wrt: [x], createGraph: true)[0]
            return try (g * r).sum()
        }
    }

    @Test(arguments: [Conv2DOptions(stride: 2, padding: 1), Conv2DOptions(stride: 1, padding: 1, groups: 2)])
    func doubleBackwardOfConvolution(options: Conv2DOptions) throws {
        // F(x, w) = ⟨∇ₓ Σ q ⊙ conv(x, w)², r⟩ goes through conv2dBackwardInput and conv2dBackwardFilter's pullbacks.
        var rng = SeededRNG(seed: 33)
        let x = Tensor.normal([2, 2, 5, 5], rng: &rng), w = Tensor.normal([4, 2 / options.groups, 3, 3], rng: &rng)
        let q = try Tensor.conv2d(x, filter: w, options: options)
        let weights = Tensor.normal(q.shape, rng: &rng), r = Tensor.normal(x.shape, rng: &rng)
        try checkGradients([x, w]) { xs in
            let (xt, wt) = (xs[0].isTracked ? xs[0] : xs[0].requiringGradient(), xs[1].isTracked ? xs[1] : xs[1].requiringGradient())
            let y = try (Tensor.conv2d(xt, filter: wt, options: options).squared() * weights).sum()
            let g = try gradient(of: y, wrt: [xt], createGraph: true)[0]
            return try (g * r).sum()
        }
    }

    @Test func activationRules() throws {
        let x = try Tensor([-1, 0.5, 3, 7], shape: [1, 4]).requiringGradient()
        let seed = try Tensor([1, -2, 3, 4], shape: [1, 4])
        func grad(_ rule: ActivationGradient, relu6: Bool = true) throws -> [Float] {
            try withActivationGradient(rule) {
                try gradient(of: relu6 ? x.relu6() : x.relu(), wrt: [x], seed: seed)[0].scalars
            }
        }
        #expect(try grad(.exact) == [0, -2, 3, 0])
        #expect(try grad(.exact, relu6: false) == [0, -2, 3, 4])
        #expect(try grad(.guided) == [0, 0, 3, 0])
        #expect(try grad(.deconvnet) == [1, 0, 3, 4])
        #expect(try grad(.redirected) == [0, -2, 3, 0], "redirection only applies when the exact gradient is all zero")
        let smooth = try grad(.smooth(tau: 1e-4))
        #expect(abs(smooth[1] - (-2)) < 1e-3 && abs(smooth[2] - 3) < 1e-3 && abs(smooth[3]) < 1e-3,
                "with small τ the surrogate equals the exact rule away from the kinks")
        // Redirected: an example whose exact gradient vanishes gets the inward-pushing part of g.
        let dead = try Tensor([-1, -2, 8, 9], shape: [1, 4]).requiringGradient()
        let g = try withActivationGradient(.redirected) {
            try gradient(of: dead.relu6(), wrt: [dead], seed: try Tensor([1, -1, 1, -1], shape: [1, 4]))[0]
        }
        #expect(g.scalars == [0, -1, 1, 0])
    }
}
