import GlimpseCore
import Testing

/// Finite-difference gradient checks, one per differentiable op.
@Suite struct OpGradientTests {
    @Test func broadcastingArithmetic() throws {
        var rng = SeededRNG(seed: 1)
        let a = Tensor.normal([2, 3, 4], rng: &rng)
        let b = Tensor.normal([3, 1], rng: &rng)
        let c = Tensor.uniform([1, 4], low: 0.5, high: 1.5, rng: &rng)
        try checkGradients([a, b]) { try $0[0] + $0[1] }
        try checkGradients([a, b]) { try $0[0] - $0[1] }
        try checkGradients([a, b]) { try $0[0] * $0[1] }
        try checkGradients([a, c]) { try $0[0] / $0[1] }
        try checkGradients([a]) { -$0[0] * 3 + 1 }
    }

    @Test func unaryMath() throws {
        var rng = SeededRNG(seed: 2)
        let x = Tensor.normal([3, 5], rng: &rng)
        let positive = Tensor.uniform([3, 5], low: 0.3, high: 2, rng: &rng)
        try checkGradients([x]) { $0[0].exp() }
        try checkGradients([positive]) { $0[0].log() }
        try checkGradients([positive]) { $0[0].sqrt() }
        try checkGradients([x]) { $0[0].squared() }
        try checkGradients([awayFromZero([3, 5], rng: &rng)]) { $0[0].abs() }
        try checkGradients([positive]) { $0[0].pow(1.7) }
        try checkGradients([x]) { $0[0].sin() }
        try checkGradients([x]) { $0[0].cos() }
        try checkGradients([x]) { $0[0].sigmoid() }
        try checkGradients([x]) { $0[0].tanh() }
        try checkGradients([x]) { $0[0].softplus() }
        try checkGradients([x]) { $0[0].silu() }
        try checkGradients([awayFromZero([3, 5], rng: &rng)]) { $0[0].leakyRelu(slope: 0.1) }
        try checkGradients([awayFromZero([3, 5], rng: &rng)]) { $0[0].clamped(-0.5, 0.7) }
    }

    @Test func reluFamilyExact() throws {
        var rng = SeededRNG(seed: 3)
        let x = awayFromZero([2, 3, 4], rng: &rng) * 4
        try checkGradients([x]) { $0[0].relu() }
        let away6 = try Tensor(x.scalars.map { abs($0 - 6) < 0.2 ? $0 + 0.5 : $0 }, shape: x.shape) * 2
        try checkGradients([away6]) { $0[0].relu6() }
    }

    @Test func reductions() throws {
        var rng = SeededRNG(seed: 4)
        let x = Tensor.normal([2, 3, 4], rng: &rng)
        try checkGradients([x]) { try $0[0].sum(axes: [1]) }
        try checkGradients([x]) { try $0[0].sum() }
        try checkGradients([x]) { try $0[0].mean(axes: [0, 2], keepDims: true) }
        try checkGradients([x]) { try $0[0].max(axes: [2]) }
        try checkGradients([x]) { try $0[0].summed(toShape: [1, 3, 1]) }
        try checkGradients([Tensor.normal([3, 1], rng: &rng)]) { try $0[0].broadcast(to: [2, 3, 4]) }
    }

    @Test func shapeOps() throws {
        var rng = SeededRNG(seed: 5)
        let x = Tensor.normal([2, 3, 4], rng: &rng)
        try checkGradients([x]) { try $0[0].reshaped([4, -1]) }
        try checkGradients([x]) { try $0[0].permuted([2, 0, 1]) }
        try checkGradients([x]) { try $0[0].sliced(axis: 1, 1..<3) }
        try checkGradients([x, Tensor.normal([2, 2, 4], rng: &rng)]) { try Tensor.concatenate($0, axis: 1) }
        try checkGradients([x]) { try $0[0].padded(top: 1, bottom: 2, left: 0, right: 1) }
        try checkGradients([x]) { try $0[0].padded(top: 2, bottom: 1, left: 3, right: 1, mode: .reflect) }
        try checkGradients([x]) { try $0[0].padded(top: 1, bottom: 1, left: 2, right: 2, mode: .replicate) }
        try checkGradients([x]) { try $0[0].padded(top: -1, bottom: 0, left: -1, right: -2) }
        try checkGradients([Tensor.normal([3, 5], rng: &rng)]) { try $0[0].picking([4, 0, 2]) }
    }

    @Test func matmulAllTranspositions() throws {
        var rng = SeededRNG(seed: 6)
        let a = Tensor.normal([3, 4], rng: &rng), b = Tensor.normal([4, 5], rng: &rng)
        try checkGradients([a, b]) { try Tensor.matmul($0[0], $0[1]) }
        try checkGradients([try a.transposed(), b]) { try Tensor.matmul($0[0], $0[1], transposeA: true) }
        try checkGradients([a, try b.transposed()]) { try Tensor.matmul($0[0], $0[1], transposeB: true) }
        try checkGradients([try a.transposed(), try b.transposed()]) {
            try Tensor.matmul($0[0], $0[1], transposeA: true, transposeB: true)
        }
        try checkGradients([Tensor.normal([2, 3, 4], rng: &rng), Tensor.normal([2, 4, 2], rng: &rng)]) {
            try Tensor.matmul($0[0], $0[1])
        }
        try checkGradients([Tensor.normal([1, 4], rng: &rng), Tensor.normal([5, 4], rng: &rng), Tensor.normal([5], rng: &rng)]) {
            try Tensor.linear($0[0], weight: $0[1], bias: $0[2])
        }
    }

    @Test(arguments: [
        Conv2DOptions(stride: 1, padding: 1),
        Conv2DOptions(stride: 2, padding: 0),
        Conv2DOptions(strideY: 2, strideX: 2, padTop: 0, padBottom: 1, padLeft: 0, padRight: 1),
        Conv2DOptions(stride: 1, padding: 2, dilation: 2),
        Conv2DOptions(stride: 1, padding: 1, groups: 2),
    ])
    func conv2d(options: Conv2DOptions) throws {
        var rng = SeededRNG(seed: 8)
        let x = Tensor.normal([2, 4, 6, 5], rng: &rng)
        let w = Tensor.normal([6, 4 / options.groups, 3, 3], rng: &rng)
        let b = Tensor.normal([6], rng: &rng)
        try checkGradients([x, w, b]) { try Tensor.conv2d($0[0], filter: $0[1], bias: $0[2], options: options) }
    }

    /// Depthwise geometries: TF-"same" at both strides, a stride-2 kernel that never reads the last row and column,
    /// stride 3, dilation.
    @Test(arguments: [
        (5, Conv2DOptions.same(kernel: 5, stride: 1, height: 7, width: 6, groups: 3)),
        (5, Conv2DOptions.same(kernel: 5, stride: 2, height: 7, width: 6, groups: 3)),
        (3, Conv2DOptions.same(kernel: 3, stride: 2, height: 7, width: 6, groups: 3)),
        (3, Conv2DOptions(stride: 2, padding: 0, groups: 3)),
        (3, Conv2DOptions(stride: 3, padding: 1, groups: 3)),
        (3, Conv2DOptions(stride: 1, padding: 2, dilation: 2, groups: 3)),
    ])
    func depthwiseConv(kernel: Int, options: Conv2DOptions) throws {
        var rng = SeededRNG(seed: 9)
        let x = Tensor.normal([2, 3, 7, 6], rng: &rng)
        let w = Tensor.normal([3, 1, kernel, kernel], rng: &rng)
        try checkGradients([x, w]) { try Tensor.conv2d($0[0], filter: $0[1], options: options) }
    }

    /// A recorded convolution with its activation fused takes its activation gradient from the output: under every
    /// rule, and for double backward, its gradients must equal those of the convolution followed by the activation.
    @Test(arguments: [FusedActivation.relu, .relu6])
    func fusedActivationMatchesSeparateOps(activation: FusedActivation) throws {
        var rng = SeededRNG(seed: 13)
        let x = Tensor.normal([2, 3, 6, 6], rng: &rng) * 4, w = Tensor.normal([4, 3, 3, 3], rng: &rng)
        let b = Tensor.normal([4], rng: &rng), seed = Tensor.normal([2, 4, 6, 6], rng: &rng)
        let o = Conv2DOptions(stride: 1, padding: 1)
        func gradients(_ rule: ActivationGradient, fused: Bool) throws -> [[Float]] {
            try withActivationGradient(rule) {
                let inputs = [x, w, b].map { $0.requiringGradient() }
                let y = fused
                    ? try Tensor.conv2d(inputs[0], filter: inputs[1], bias: inputs[2], options: o, activation: activation)
                    : try { let z = try Tensor.conv2d(inputs[0], filter: inputs[1], bias: inputs[2], options: o)
                            return activation == .relu6 ? z.relu6() : z.relu() }()
                #expect(y.scalars.contains { $0 == 0 } && (activation == .relu || y.scalars.contains { $0 == 6 }))
                let first = try gradient(of: y, wrt: inputs, seed: seed, createGraph: true)
                // Double backward: the gradient of Σ (∂L/∂x)² with respect to the filter.
                let second = try gradient(of: first[0].squared().sum(), wrt: [inputs[1]])[0]
                return first.map(\.scalars) + [second.scalars]
            }
        }
        for rule in [ActivationGradient.exact, .guided, .deconvnet, .redirected, .smooth(tau: 0.1)] {
            let fused = try gradients(rule, fused: true), separate = try gradients(rule, fused: false)
            for (f, s) in zip(fused, separate) { #expect(maxAbsDiff(f, s) < 1e-4 * max(1, s.map(abs).max() ?? 0), "\(rule)") }
        }
    }

    /// The input gradient of a depthwise or 1×1 convolution with a fused activation and constant weights, which masks
    /// the output gradient inside the kernel, equals the gradient through the separate convolution and activation.
    @Test(arguments: [FusedActivation.relu, .relu6])
    func inputGradientWithTheMaskInsideTheKernel(activation: FusedActivation) throws {
        var rng = SeededRNG(seed: 31)
        let cases: [(Int, Int, Int, Int, Conv2DOptions)] = [  // batch, side, kernel, output channels, options
            (2, 9, 3, 5, Conv2DOptions(stride: 1, padding: 1, groups: 5)), (2, 9, 5, 5, Conv2DOptions(stride: 2, padding: 2, groups: 5)),
            (2, 9, 3, 5, Conv2DOptions(strideY: 2, strideX: 2, padTop: 0, padBottom: 1, padLeft: 0, padRight: 1, groups: 5)),
            (2, 9, 1, 7, Conv2DOptions()), (1, 20, 1, 7, Conv2DOptions()), (1, 7, 1, 600, Conv2DOptions()),
            (1, 16, 1, 600, Conv2DOptions()),  // two threads, two column tiles each
        ]
        for (batch, side, kernel, outChannels, options) in cases {
            let x = Tensor.normal([batch, 5, side, side], rng: &rng) * 4
            let w = Tensor.normal([outChannels, options.groups == 1 ? 5 : 1, kernel, kernel], rng: &rng)
            let b = Tensor.normal([outChannels], rng: &rng)
            let shape = try Tensor.conv2d(x, filter: w, bias: b, options: options).shape
            let seed = Tensor.normal(shape, rng: &rng)
            for rule in [ActivationGradient.exact, .guided] {
                func inputGradient(fused: Bool) throws -> [Float] {
                    try withActivationGradient(rule) {
                        let input = x.requiringGradient()
                        let y = fused
                            ? try Tensor.conv2d(input, filter: w, bias: b, options: options, activation: activation)
                            : try { let z = try Tensor.conv2d(input, filter: w, bias: b, options: options)
                                    return activation == .relu6 ? z.relu6() : z.relu() }()
                        return try gradient(of: y, wrt: [input], seed: seed)[0].scalars
                    }
                }
                let fused = try inputGradient(fused: true), separate = try inputGradient(fused: false)
                #expect(fused.contains { $0 != 0 } && maxAbsDiff(fused, separate) < 1e-5 * max(1, separate.map(abs).max() ?? 0),
                        "\(rule), kernel \(kernel), \(options)")
            }
        }
    }

    @Test func pointwiseConv() throws {
        var rng = SeededRNG(seed: 10)
        try checkGradients([Tensor.normal([2, 3, 4, 4], rng: &rng), Tensor.normal([5, 3, 1, 1], rng: &rng)]) {
            try Tensor.conv2d($0[0], filter: $0[1])
        }
    }

    @Test func pooling() throws {
        var rng = SeededRNG(seed: 11)
        let x = Tensor.normal([1, 2, 6, 6], rng: &rng)
        try checkGradients([x], eps: 1e-3) { try $0[0].maxPool2d(kernel: 3, stride: 2, padding: 1) }
        try checkGradients([x], eps: 1e-3) { try $0[0].maxPool2d(kernel: 3, stride: 2, ceilMode: true) }
        try checkGradients([x]) { try $0[0].avgPool2d(kernel: 2) }
        try checkGradients([x]) { try $0[0].avgPool2d(kernel: 3, stride: 1, padding: 1, countIncludePad: false) }
        try checkGradients([x]) { try $0[0].globalAvgPool() }
    }

    @Test func batchNorm() throws {
        var rng = SeededRNG(seed: 12)
        let x = Tensor.normal([3, 2, 3, 3], rng: &rng)
        let mean = Tensor.normal([2], rng: &rng), variance = Tensor.uniform([2], low: 0.5, high: 2, rng: &rng)
        let weight = Tensor.normal([2], rng: &rng), bias = Tensor.normal([2], rng: &rng)
        try checkGradients([x, weight, bias]) {
            try $0[0].batchNormInference(mean: mean, variance: variance, weight: $0[1], bias: $0[2], eps: 1e-3)
        }
        try checkGradients([x, weight, bias]) { try $0[0].batchNormTraining(weight: $0[1], bias: $0[2], eps: 1e-5).0 }
    }

    @Test func softmaxFamily() throws {
        var rng = SeededRNG(seed: 13)
        let x = Tensor.normal([3, 5], rng: &rng)
        try checkGradients([x]) { try $0[0].softmax() }
        try checkGradients([x]) { try $0[0].logSoftmax(axis: 1) }
        try checkGradients([x]) { try $0[0].crossEntropy(labels: [1, 4, 0]) }
    }

    @Test func resizeAndBlur() throws {
        var rng = SeededRNG(seed: 14)
        let x = Tensor.normal([1, 2, 5, 4], rng: &rng)
        try checkGradients([x]) { try $0[0].resizedBilinear(height: 7, width: 3) }
        try checkGradients([x]) { try $0[0].resizedBilinear(height: 9, width: 8, alignment: .alignCorners) }
        try checkGradients([x]) { try $0[0].gaussianBlurred(sigma: 0.8, truncate: 2) }
    }

    @Test(arguments: [(6, 8), (5, 7)])
    func realFFT(size: (Int, Int)) throws {
        var rng = SeededRNG(seed: 15)
        let (h, w) = size
        let x = Tensor.normal([2, h, w], rng: &rng)
        try checkGradients([x]) { try $0[0].rfft2() }
        try checkGradients([x]) { try $0[0].rfft2(normalization: .none) }
        let spectrum = Tensor.normal([2, h, w / 2 + 1, 2], rng: &rng)
        try checkGradients([spectrum]) { try $0[0].irfft2(width: w) }
        try checkGradients([spectrum]) { try $0[0].irfft2(width: w, normalization: .none) }
    }
}
