import Foundation
import GlimpseCore
import GlimpseDefenses
import Testing

@Suite struct InputTransformTests {
    static let grid: [Float] = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3]

    @Test func bitDepthRoundsToTheLevelsAndPassesTheGradientStraightThrough() throws {
        let x = try Tensor([0, 0.1, 0.2, 0.5, 0.74, 1, 1.3, -0.2], shape: [1, 1, 2, 4]).requiringGradient()
        let y = try InputTransform.bitDepth(bits: 2).apply(x)
        #expect(y.scalars.map { ($0 * 3).rounded() / 3 } == y.scalars)
        let expected: [Float] = [0, 0, 1.0 / 3, 2.0 / 3, 2.0 / 3, 1, 1, 0]
        #expect(zip(y.scalars, expected).allSatisfy { Swift.abs($0 - $1) < 1e-6 })
        let g = try gradient(of: y.sum(), wrt: [x])[0]
        #expect(g.scalars == [Float](repeating: 1, count: 8), "BPDA: the identity's gradient")
    }

    /// Known answers from scipy.ndimage.median_filter(x, size, mode="reflect").
    @Test(arguments: [
        (2, [3, 3, 4, 4, 5, 5, 4, 4, 5, 5, 5, 6, 9, 7, 7, 8] as [Float]),
        (3, [3, 3, 2, 2, 5, 4, 4, 5, 5, 5, 6, 6, 7, 7, 7, 5] as [Float]),
    ])
    func medianMatchesScipy(size: Int, expected: [Float]) throws {
        let x = try Tensor(Self.grid.map { $0 / 10 }, shape: [1, 1, 4, 4])
        let y = try InputTransform.median(size: size).apply(x)
        #expect(zip(y.scalars, expected).allSatisfy { Swift.abs($0 - $1 / 10) < 1e-6 }, "\(y.scalars)")
    }

    /// The median's gradient goes to the selected pixel: central differences on distinct values.
    @Test func medianGradientMatchesFiniteDifferences() throws {
        var rng = SeededRNG(seed: 5)
        let x = Tensor.uniform([1, 2, 5, 6], rng: &rng)
        let weights = Tensor.normal([1, 2, 5, 6], rng: &rng)
        func loss(_ t: Tensor) throws -> Float { try (InputTransform.median(size: 3).apply(t) * weights).sum().scalars[0] }
        let tracked = x.requiringGradient()
        let analytic = try gradient(of: (InputTransform.median(size: 3).apply(tracked) * weights).sum(), wrt: [tracked])[0].scalars
        let eps: Float = 1e-4
        for i in stride(from: 0, to: x.count, by: 7) {
            var plus = x.scalars, minus = x.scalars
            plus[i] += eps; minus[i] -= eps
            let numeric = try (loss(Tensor(plus, shape: x.shape)) - loss(Tensor(minus, shape: x.shape))) / (2 * eps)
            #expect(Swift.abs(numeric - analytic[i]) < 2e-2, "element \(i): \(numeric) vs \(analytic[i])")
        }
    }

    @Test func jpegChangesTheImageLessAtHighQuality() throws {
        var rng = SeededRNG(seed: 9)
        let smooth = try Tensor.uniform([2, 3, 4, 4], rng: &rng).resizedBilinear(height: 32, width: 32)
        func error(_ q: Int) throws -> Float {
            let y = try InputTransform.jpeg(quality: q).apply(smooth)
            return zip(y.scalars, smooth.scalars).reduce(0) { $0 + Swift.abs($1.0 - $1.1) } / Float(smooth.count)
        }
        let high = try error(100), low = try error(10)
        print("JPEG round trip, mean abs change: quality 100 \(high), quality 10 \(low)")
        #expect(high < 0.02 && low > 2 * high, "quality 100: \(high), quality 10: \(low)")
        let grey = try InputTransform.jpeg(quality: 90).apply(smooth.mean(axes: [1], keepDims: true))
        #expect(grey.shape == [2, 1, 32, 32])
    }

    @Test func gaussianIsTheEngineBlur() throws {
        var rng = SeededRNG(seed: 2)
        let x = Tensor.uniform([1, 3, 9, 9], rng: &rng)
        #expect(try InputTransform.gaussian(sigma: 1).apply(x).scalars == x.gaussianBlurred(sigma: 1).scalars)
    }

    @Test func parsingAndBadOptions() throws {
        #expect(try InputTransform(parsing: "bits:5") == .bitDepth(bits: 5))
        #expect(try InputTransform(parsing: "median:2") == .median(size: 2))
        #expect(try InputTransform(parsing: "jpeg:75") == .jpeg(quality: 75))
        #expect(try InputTransform(parsing: "gaussian:0.5") == .gaussian(sigma: 0.5))
        for bad in ["bits:0", "bits:x", "median:1", "jpeg:101", "gaussian:-1", "blur:2", "bits"] {
            #expect(throws: DefenseError.self, "\(bad)") { try InputTransform(parsing: bad) }
        }
        #expect(throws: (any Error).self) { try InputTransform.median(size: 2).apply(Tensor(repeating: .nan, shape: [1, 1, 3, 3])) }
        #expect(throws: DefenseError.self) { try InputTransform.median(size: 2).apply(Tensor(zeros: [3, 3])) }
    }
}
