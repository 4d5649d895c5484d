import Foundation
import GlimpseCore
import GlimpseVis
import Testing

@Suite struct ParameterizationTests {
    @Test func fourierGradientMatchesFiniteDifferences() throws {
        for (h, w) in [(10, 12), (9, 11)] {
            let param = try FourierImage(batch: 2, height: h, width: w)
            var rng = SeededRNG(seed: 5)
            let p0 = Tensor.normal([2, 3, h, w / 2 + 1, 2], std: 0.2, rng: &rng)
            let r = Tensor.normal([2, 3, h, w], rng: &rng)
            let worst = try worstGradientError(at: p0, every: 3) { try (param.image($0) * r).sum() }
            #expect(worst <= 1, "\(h)×\(w): worst scaled error \(worst)")
        }
    }

    @Test func fourierImageIsLucids() throws {
        // A DC-only spectrum p gives the constant t = scale(0)·p/√(HW)/4 = p/4 for a square image (scale(0) = side).
        let param = try FourierImage(batch: 1, height: 16, width: 16, decorrelate: false)
        var spectrum = Tensor(zeros: [1, 3, 16, 9, 2])
        spectrum.withUnsafeMutableBufferPointer { s in s[0] = 2; s[16 * 9 * 2] = -2; s[2 * 16 * 9 * 2] = 0 }
        let image = try param.image(spectrum)
        let expected: [Float] = [2, -2, 0].map { 1 / (1 + exp(-$0 / 4)) }
        for c in 0..<3 {
            let plane = try image.sliced(axis: 1, c..<(c + 1)).scalars
            #expect(plane.allSatisfy { abs($0 - expected[c]) < 1e-5 })
        }
        // The seeded initial image is grey: 0.5 ± a few thousandths (Lucid: ±0.003 at 224²).
        var rng = SeededRNG(seed: 1)
        let lucid = try FourierImage(batch: 2, height: 64, width: 64)
        let start = try lucid.image(lucid.initialParameters(rng: &rng)).scalars
        #expect(start.allSatisfy { abs($0 - 0.5) < 0.02 })
        #expect(start.contains { abs($0 - 0.5) > 1e-4 })
    }

    @Test func colourDecorrelationUsesTheImageNetMatrix() throws {
        // A pixel image with t = (1, 0, 0) everywhere: rgb = sigmoid(first column of M).
        let param = try PixelImage(batch: 1, height: 8, width: 8)
        let t = try Tensor.concatenate([Tensor(repeating: 1, shape: [1, 1, 8, 8]), Tensor(zeros: [1, 2, 8, 8])], axis: 1)
        let rgb = try param.image(t)
        for (c, m) in [0.5628, 0.5845, 0.5845].enumerated() {
            #expect(abs(rgb[0, c, 3, 3] - 1 / (1 + exp(-Float(m)))) < 1e-3)
        }
    }

    @Test func invalidSizesThrow() {
        #expect(throws: VisError.self) { try FourierImage(batch: 0) }
        #expect(throws: VisError.self) { try FourierImage(height: 4) }
        #expect(throws: VisError.self) { try PixelImage(width: 2) }
        #expect(throws: TensorError.self) { try FourierImage(batch: 1, height: 8, width: 8).image(Tensor(zeros: [1, 3, 8, 8])) }
    }
}

