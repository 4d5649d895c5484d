import Foundation
import GlimpseCore
import GlimpseVis
import Testing

/// The spectral penalty and the MACO parameterization.
@Suite struct FrequencyTests {
    @Test func spectralPenaltyValues() throws {
        let penalty = try ImagePenalty.spectral(weight: 1)
        // A constant image has only DC energy (weight 0); a ±1 checkerboard sits at the corner frequency (weight 1),
        // so by Parseval its penalty is its mean square, 1.
        #expect(try penalty.value(Tensor(repeating: 0.7, shape: [1, 3, 8, 8])).scalar < 1e-9)
        let board = Tensor(shape: [2, 3, 8, 8]) { p, n in for i in 0..<n { p[i] = ((i / 8) + (i % 8)) % 2 == 0 ? 1 : -1 } }
        #expect(abs(try penalty.value(board).scalar - 1) < 1e-5)
        // Horizontal stripes of period 4 (f = 1/4 → weight (0.25/0.7071)² = 0.125), amplitude 1 (mean square 1/2).
        let stripes = Tensor(shape: [1, 1, 8, 8]) { p, n in for i in 0..<n { p[i] = Float(cos(Double.pi / 2 * Double(i / 8))) } }
        #expect(abs(try penalty.value(stripes).scalar - 0.0625) < 1e-5)
        #expect(throws: VisError.self) { try ImagePenalty.spectral(weight: -1) }
        #expect(throws: VisError.self) { try penalty.value(Tensor(zeros: [3, 8, 8])) }
    }

    @Test(arguments: [(8, 10), (7, 9)])
    func spectralPenaltyGradient(h: Int, w: Int) throws {
        var rng = SeededRNG(seed: 2)
        let x = Tensor.uniform([2, 3, h, w], rng: &rng)
        let penalty = try ImagePenalty.spectral(weight: 1, power: 3)
        #expect(try worstGradientError(at: x, every: 2) { try penalty.value($0) } <= 1)
    }

    @Test func spectralPenaltyLowersHighFrequencies() throws {
        let objective = Objective.channel("conv1", 2)
        var plain = Renderer(), penalised = Renderer()
        plain.steps = 40; penalised.steps = 40
        plain.transforms = []; penalised.transforms = []
        penalised.penalties = [try ImagePenalty.spectral(weight: 30)]
        let param = try PixelImage(batch: 1, height: 32, width: 32)
        let model = SmallCNN(seed: 3)
        let a = try plain.render(model: model, objective: objective, parameterization: param, seed: 4)
        let b = try penalised.render(model: model, objective: objective, parameterization: param, seed: 4)
        let measure = try ImagePenalty.spectral(weight: 1)
        let (pa, pb) = (try measure.value(a.images).scalar, try measure.value(b.images).scalar)
        #expect(pb < 0.7 * pa, "high-frequency energy \(pa) without vs \(pb) with the penalty")
        #expect(b.history.suffix(5).reduce(0, +) > b.history.prefix(5).reduce(0, +))
    }

    @Test(arguments: [(8, 10), (9, 11)])
    func macoGradient(h: Int, w: Int) throws {
        let maco = try MACOImage(batch: 2, height: h, width: w, spectrum: .powerLaw(alpha: 1.5, height: h, width: w))
        var rng = SeededRNG(seed: 6)
        let phase = maco.initialParameters(rng: &rng)
        let r = Tensor.normal([2, 3, h, w], rng: &rng)
        #expect(try worstGradientError(at: phase, every: 2) { try (maco.image($0) * r).sum() } <= 1)
    }

    @Test func macoKeepsTheMagnitudeAndOptimises() throws {
        let (h, w) = (32, 32)
        let spectrum = try MagnitudeSpectrum.powerLaw(alpha: 1.3, height: h, width: w)
        #expect(abs(spectrum.fittedExponent - 1.3) < 1e-3)
        let maco = try MACOImage(batch: 1, height: h, width: w, spectrum: spectrum)
        var rng = SeededRNG(seed: 1)
        let image = try maco.image(maco.initialParameters(rng: &rng))
        #expect(image.shape == [1, 3, h, w] && image.scalars.allSatisfy { $0 > 0 && $0 < 1 })
        var renderer = Renderer()
        renderer.steps = 30
        renderer.learningRate = 0.2
        renderer.transforms = [.jitter(2)]
        let r = try renderer.render(model: SmallCNN(seed: 3), objective: .channel("conv2", 3), parameterization: maco, seed: 2)
        let (early, late): (Float, Float) = (r.history.prefix(5).reduce(0, +), r.history.suffix(5).reduce(0, +))
        #expect(late > early + 0.01, "\(early) → \(late)")
        #expect(throws: VisError.self) { try MACOImage(height: 16, width: 16, spectrum: spectrum) }
        #expect(throws: VisError.self) { try MagnitudeSpectrum(values: Tensor(repeating: -1, shape: [3, 4, 3])) }
    }

    @Test func storedSpectraAreResizedAndFitted() throws {
        let big = try MagnitudeSpectrum.powerLaw(alpha: 2, height: 64, width: 64)
        let small = try big.resized(height: 32, width: 32)
        #expect(small.values.shape == [3, 32, 17])
        #expect(abs(small.fittedExponent - 2) < 0.3, "\(small.fittedExponent)")
    }

    @Test(.enabled(if: Photos.present, "sample photos missing (scripts/setup.sh)"))
    func naturalExponentMatchesThePhotos() throws {
        let spectrum = try MagnitudeSpectrum.mean(of: Photos.batch(side: 224))
        #expect(abs(spectrum.fittedExponent - MagnitudeSpectrum.naturalExponent) < 0.05,
                "photos fit \(spectrum.fittedExponent), constant \(MagnitudeSpectrum.naturalExponent)")
    }
}
