import GlimpseCore
import Testing

/// The 2×2, stride-2 fast path of `maxPool2d`: values, gradient, odd sizes and NaN.
@Suite struct MaxPool2x2Tests {
    @Test func valuesMatchANaiveWindowMaximum() throws {
        var rng = SeededRNG(seed: 21)
        let x = Tensor.normal([2, 3, 7, 6], rng: &rng)
        let y = try x.maxPool2d(kernel: 2)
        #expect(y.shape == [2, 3, 3, 3])
        for n in 0..<2 { for c in 0..<3 { for i in 0..<3 { for j in 0..<3 {
            let window = [x[n, c, 2 * i, 2 * j], x[n, c, 2 * i, 2 * j + 1], x[n, c, 2 * i + 1, 2 * j], x[n, c, 2 * i + 1, 2 * j + 1]]
            #expect(y[n, c, i, j] == window.max()!)
        } } } }
    }

    @Test func gradient() throws {
        var rng = SeededRNG(seed: 22)
        try checkGradients([Tensor.normal([2, 2, 6, 6], rng: &rng)], eps: 1e-3) { try $0[0].maxPool2d(kernel: 2) }
    }

    @Test func nanPropagates() throws {
        let x = try Tensor([1, .nan, 3, 4], shape: [1, 1, 2, 2])
        #expect(try x.maxPool2d(kernel: 2).scalar.isNaN)
    }
}
