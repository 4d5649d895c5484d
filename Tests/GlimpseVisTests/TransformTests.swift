import GlimpseCore
import GlimpseVis
import Testing

@Suite struct TransformTests {
    var rng = SeededRNG(seed: 4)
    func image(_ h: Int, _ w: Int) -> Tensor {
        var r = SeededRNG(seed: UInt64(h * 1000 + w))
        return Tensor.uniform([2, 3, h, w], rng: &r)
    }

    func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? .infinity
    }

    @Test mutating func padIsAConstantBorder() throws {
        let x = image(9, 11)
        let y = try ImageTransform.apply([.pad(3, value: 0.5)], to: x, rng: &rng)
        let expected = try (x - 0.5).padded(top: 3, bottom: 3, left: 3, right: 3) + 0.5
        #expect(y.shape == [2, 3, 15, 17] && maxDifference(y, expected) < 1e-6)
    }

    @Test mutating func jitterIsARandomCropOfTheRightSize() throws {
        let x = image(20, 20)
        var offsets = Set<[Int]>()
        for _ in 0..<40 {
            let y = try ImageTransform.apply([.jitter(4)], to: x, rng: &rng)
            #expect(y.shape == [2, 3, 16, 16])
            var matches: [[Int]] = []
            for dy in 0...4 {
                for dx in 0...4 {
                    let crop = try x.padded(top: -dy, bottom: dy - 4, left: -dx, right: dx - 4)
                    if crop.scalars == y.scalars { matches.append([dy, dx]) }
                }
            }
            #expect(matches.count == 1)
            offsets.formUnion(matches)
        }
        #expect(offsets.count > 10)
    }

    @Test mutating func scaleIsHalfPixelBilinearResize() throws {
        let x = image(20, 30)
        let y = try ImageTransform.apply([.scale([1.1])], to: x, rng: &rng)
        #expect(y.shape == [2, 3, 22, 33])
        #expect(maxDifference(y, try x.resizedBilinear(height: 22, width: 33)) < 1e-5)
    }

    @Test mutating func rotation() throws {
        let x = image(15, 15)
        #expect(try ImageTransform.apply([.rotate([0])], to: x, rng: &rng).scalars == x.scalars)
        // 90° about the centre of an odd square is a permutation: out[y][x] = in[x][14 − y] for rotation
        // by +90° in this convention (source = R·(p − c) + c).
        let y = try ImageTransform.apply([.rotate([90])], to: x, rng: &rng)
        var worst: Float = 0
        for r in 0..<15 { for c in 0..<15 { worst = max(worst, abs(y[1, 2, r, c] - x[1, 2, c, 14 - r])) } }
        #expect(worst < 1e-4)
        // 45° leaves the corners black.
        let z = try ImageTransform.apply([.rotate([45])], to: x, rng: &rng)
        #expect(z[0, 0, 0, 0] == 0 && z[1, 2, 14, 14] == 0 && abs(z[0, 1, 7, 7] - x[0, 1, 7, 7]) < 1e-5)
    }

    @Test func standardTransformsAreSeededAndLucidSized() throws {
        // 40 + 24 − 8 = 56, scaled by 0.90…1.10 → 50…61, minus 4.
        try checkSeededAndSized(ImageTransform.standard, on: image(40, 40), sizes: 46...57)
    }

    @Test mutating func transformsAreDifferentiableAndLinear() throws {
        // The warp is linear in the image plus a constant: its gradient is the adjoint, ⟨g, T(x) − T(0)⟩ = ⟨Tᵀg, x⟩.
        let x = image(16, 16)
        let t: [ImageTransform] = [.pad(2, value: 0.5), .jitter(2), .scale([1.1]), .rotate([7]), .jitter(1)]
        var r1 = SeededRNG(seed: 9), r2 = SeededRNG(seed: 9)
        let xt = x.requiringGradient()
        let y = try ImageTransform.apply(t, to: xt, rng: &r1)
        let y0 = try withoutGradient { try ImageTransform.apply(t, to: Tensor(zeros: x.shape), rng: &r2) }
        var r3 = SeededRNG(seed: 3)
        let g = Tensor.normal(y.shape, rng: &r3)
        let grad = try gradient(of: (y * g).sum(), wrt: [xt])[0]
        let lhs = try ((y.detached() - y0) * g).sum().scalar, rhs = try (grad * x).sum().scalar
        #expect(abs(lhs - rhs) < 1e-3 * max(1, abs(lhs)))
    }

    @Test mutating func badTransformsThrow() {
        let x = image(8, 8)
        #expect(throws: VisError.self) { try ImageTransform.apply([.jitter(8)], to: x, rng: &rng) }
        #expect(throws: VisError.self) { try ImageTransform.apply([.scale([])], to: x, rng: &rng) }
        #expect(throws: VisError.self) { try ImageTransform.apply([.pad(1, value: 0.5)], to: Tensor(zeros: [3, 8, 8]), rng: &rng) }
    }

    @Test func sequentialResamplingEqualsCompositeOnShiftsAndSmoothsWarps() throws {
        var rng = SeededRNG(seed: 5)
        let x = Tensor.uniform([1, 3, 32, 32], rng: &rng)
        func both(_ t: [ImageTransform]) throws -> (Tensor, Tensor) {
            var a = SeededRNG(seed: 9), b = SeededRNG(seed: 9)
            return (try ImageTransform.apply(t, to: x, rng: &a, resampling: .sequential),
                    try ImageTransform.apply(t, to: x, rng: &b, resampling: .composite))
        }
        let (s0, c0) = try both([.pad(3, value: 0.5), .jitter(4), .jitter(2)])
        #expect(s0.scalars == c0.scalars)
        // Two interpolations low-pass the view more than one: less total variation along rows.
        let (s1, c1) = try both([.scale([1.1]), .rotate([7])])
        #expect(s1.shape == c1.shape && s1.scalars != c1.scalars)
        func variation(_ t: Tensor) -> Float {
            let w = t.shape[3], v = t.scalars
            return (0..<v.count).reduce(0) { $1 % w == w - 1 ? $0 : $0 + abs(v[$1 + 1] - v[$1]) }
        }
        #expect(variation(s1) < variation(c1))
    }
}

/// Over 30 seeds, `transforms` gives the same output for the same seed, square outputs with sides in `sizes`, and at
/// least four different sides.
func checkSeededAndSized(_ transforms: [ImageTransform], on x: Tensor, sizes: ClosedRange<Int>,
                         sourceLocation: SourceLocation = #_sourceLocation) throws {
    var seen = Set<Int>()
    for seed in 0..<30 {
        var a = SeededRNG(seed: UInt64(seed)), b = SeededRNG(seed: UInt64(seed))
        let ya = try ImageTransform.apply(transforms, to: x, rng: &a)
        let yb = try ImageTransform.apply(transforms, to: x, rng: &b)
        #expect(ya.scalars == yb.scalars, sourceLocation: sourceLocation)
        #expect(sizes.contains(ya.shape[2]) && ya.shape[2] == ya.shape[3], sourceLocation: sourceLocation)
        seen.insert(ya.shape[2])
    }
    #expect(seen.count >= 4, sourceLocation: sourceLocation)
}
