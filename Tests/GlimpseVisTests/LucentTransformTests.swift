import Foundation
import GlimpseCore
import GlimpseVis
import Testing

/// Lucent's transform set against Lucent itself (fixture from scripts/lucent_transform_fixture.py), and the plain
/// resampling loops of `TransformDraw` against autodiff and finite differences.
@Suite struct LucentTransformTests {
    /// The fixture's input: x[0, c, i, j] = sin(0.7 i + 1.3 j + 2 c) / 2 + 1/2, [1, 2, 7, 12].
    let input = Tensor(shape: [1, 2, 7, 12]) { s, _ in
        for c in 0..<2 { for i in 0..<7 { for j in 0..<12 { s[(c * 7 + i) * 12 + j] = sin(0.7 * Float(i) + 1.3 * Float(j) + 2 * Float(c)) / 2 + 0.5 } } }
    }

    func fixture(_ name: String) throws -> ([Int], [Float]) {
        let c = try #require(LucentTransformFixture.cases.first { $0.0 == name })
        return (c.1, c.2)
    }

    func worst(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? .infinity }

    @Test func translateScaleAndRotateMatchLucent() throws {
        var rng = SeededRNG(seed: 1)
        for (name, t) in [("scale0.7", ImageTransform.lucentScale([0.7])), ("scale1.1", .lucentScale([1.1])),
                          ("rotate7", .lucentRotate([7]))] {
            let (shape, values) = try fixture(name)
            let y = try ImageTransform.apply([t], to: input, rng: &rng)
            #expect(y.shape == shape, "\(name)")
            #expect(worst(y.scalars, values) < 2e-5, "\(name)")
        }
        // translate(2) draws one of four shifts; every draw matches exactly one of Lucent's four, and all occur.
        var seen = Set<String>()
        for _ in 0..<24 {
            let y = try ImageTransform.apply([.lucentTranslate(2)], to: input, rng: &rng)
            let matches = try ["dx0_dy0", "dx0_dy1", "dx1_dy0", "dx1_dy1"].filter { worst(y.scalars, try fixture("translate2_" + $0).1) < 2e-5 }
            #expect(matches.count == 1)
            seen.formUnion(matches)
        }
        #expect(seen.count == 4)
    }

    @Test func lucentStandardIsSeededAndLucentSized() throws {
        var r = SeededRNG(seed: 2)
        // 40 + 24 = 64; scaled to ceil(0.9…1.1 · 64) = 58…71, smaller ones padded back to 64 or 65.
        try checkSeededAndSized(ImageTransform.lucentStandard, on: Tensor.uniform([1, 3, 40, 40], rng: &r), sizes: 64...71)
    }

    /// The plain loops (untracked apply, adjoint) agree with the recorded gathers and autodiff, for both transform
    /// sets and both resamplings; at 150² the loops run in bands on both threads (the adjoint's bands summed).
    @Test(arguments: [(24, 4), (150, 1)])
    func plainAdjointIsTheAutodiffGradient(side: Int, seeds: Int) throws {
        var r = SeededRNG(seed: 3)
        let x = Tensor.uniform([2, 3, side, side], rng: &r)
        for set in [ImageTransform.standard, ImageTransform.lucentStandard] {
            for resampling in ImageTransform.Resampling.allCases {
                for seed in 0..<seeds {
                    var rng = SeededRNG(seed: UInt64(seed))
                    let draw = try ImageTransform.draw(set, height: side, width: side, rng: &rng, resampling: resampling)
                    let xt = x.requiringGradient()
                    let recorded = try draw.apply(xt), plain = try draw.apply(x)
                    #expect(recorded.shape == plain.shape && worst(recorded.scalars, plain.scalars) < 1e-6)
                    let g = Tensor.normal(plain.shape, rng: &r)
                    let auto = try gradient(of: (recorded * g).sum(), wrt: [xt])[0]
                    #expect(worst(auto.scalars, try draw.adjoint(g).scalars) < 1e-5)
                }
            }
        }
    }

    @Test func lucentTransformsPassFiniteDifferences() throws {
        var r = SeededRNG(seed: 4)
        let x = Tensor.uniform([1, 2, 11, 11], rng: &r)
        let weights = Tensor.normal([1, 2, 20, 20], rng: &r)
        let set: [ImageTransform] = [.pad(3, value: 0.5), .lucentTranslate(3), .lucentScale([0.92, 1.1]), .lucentRotate([9, -5]), .lucentTranslate(2)]
        for seed in 0..<3 {
            let error = try worstGradientError(at: x) { p in
                var rng = SeededRNG(seed: UInt64(seed))
                let y = try ImageTransform.apply(set, to: p, rng: &rng)
                let w = try weights.sliced(axis: 2, 0..<y.shape[2]).sliced(axis: 3, 0..<y.shape[3])
                return try (y * y * w).sum()
            }
            #expect(error <= 1)
        }
    }

    @Test func badLucentTransformsThrow() {
        var rng = SeededRNG(seed: 5)
        let x = Tensor(zeros: [1, 3, 8, 8])
        #expect(throws: VisError.self) { try ImageTransform.apply([.lucentTranslate(0)], to: x, rng: &rng) }
        #expect(throws: VisError.self) { try ImageTransform.apply([.lucentScale([])], to: x, rng: &rng) }
        #expect(throws: VisError.self) { try ImageTransform.apply([.lucentScale([0.01])], to: x, rng: &rng) }
        #expect(throws: VisError.self) { try ImageTransform.apply([.lucentRotate([])], to: x, rng: &rng) }
    }
}
