import Foundation
import GlimpseCore
import GlimpseDefenses
import GlimpseSaliency
import Testing

/// The interpreter ensemble's differentiable score and the adaptive PGD that minimises it, on the trained CNN.
@Suite struct EnsembleAdaptiveTests {
    @Test(.enabled(if: Support.trainedModelPresent, Comment(rawValue: Support.skipMessage)))
    func differentiableScoreEqualsTheDetectorsScoreAndItsGradientMatchesFiniteDifferences() throws {
        let model = try Support.model()
        let detector = try InterpreterEnsembleDetector(model: model)
        let (x, _) = try Support.testImages(start: 0, count: 12)
        let exact = try detector.scores(x), tensor = try detector.scoreTensor(x, smoothTau: nil).scalars
        for (a, b) in zip(exact, tensor) { #expect(Swift.abs(a - b) < 1e-4, "scores \(a) vs differentiable \(b)") }
        #expect(exact.contains { $0 > 0.05 })

        // Central differences at 40 pixels of one image, exact ReLU, for the CAM pair: their maps are continuous and
        // piecewise smooth in x. Fashion-MNIST's background pixels are exactly 0, so neighbouring conv1 outputs tie
        // exactly inside max-pool windows (334 of the 2203 positive pool1 windows of this image): at a tie finite
        // differences see the mean of the tied branches while the gradient takes the first, as PyTorch's does. A
        // little seeded noise breaks the ties; a step may still cross a kink, so 90% of the pixels must agree.
        // (The vanilla-gradient map of a ReLU network is piecewise constant with jumps: its exact derivative is 0 and
        // finite differences only see the jumps; the attack uses the smooth surrogate for it.)
        let cams = try InterpreterEnsembleDetector(model: model, interpreters: [.gradcam, .layercam])
        var noise = SeededRNG(seed: 5)
        let clean = try x.sliced(axis: 0, 1..<2)
        let image = try Tensor(clean.scalars.map { Swift.min($0 + 0.02 * noise.nextUniform(), 1) }, shape: clean.shape)
        let tracked = image.requiringGradient()
        let analytic = try gradient(of: cams.scoreTensor(tracked, smoothTau: nil).sum(), wrt: [tracked])[0].scalars
        var rng = SeededRNG(seed: 4)
        var agreeing = 0, nonzero = 0
        let pixels = (0..<40).map { _ in Int(rng.next() % UInt64(image.count)) }
        for i in pixels {
            func score(_ delta: Float) throws -> Double {
                var v = image.scalars
                v[i] += delta
                return Double(try cams.scoreTensor(Tensor(v, shape: image.shape), smoothTau: nil).scalar)
            }
            let numeric = (try score(1e-3) - score(-1e-3)) / 2e-3
            if Swift.abs(Double(analytic[i]) - numeric) <= 2e-3 + 0.05 * Swift.abs(numeric) { agreeing += 1 }
            if Swift.abs(numeric) > 1e-3 { nonzero += 1 }
        }
        #expect(agreeing >= 36, "\(agreeing)/40 pixels agree with finite differences")
        #expect(nonzero >= 10, "the score must depend on the pixels for the check to mean something (\(nonzero))")
        #expect(throws: DefenseError.self) {
            try InterpreterEnsembleDetector(model: model, interpreters: [.vanilla, .scorecam]).scoreTensor(image)
        }
    }

    @Test(.enabled(if: Support.trainedModelPresent, Comment(rawValue: Support.skipMessage)))
    func adaptivePGDLowersTheEnsembleScoreOfItsAdversarialImages() throws {
        let model = try Support.model()
        let detector = try InterpreterEnsembleDetector(model: model)
        let (x, labels) = try Support.testImages(start: 300, count: 24)
        func meanScoreOfSuccesses(_ adversarial: Tensor) throws -> (Double, Int) {
            let scores = try detector.scores(adversarial)
            let logits = try model.logits(adversarial).scalars
            let fooled = labels.indices.filter { i in (0..<10).max { logits[i * 10 + $0] < logits[i * 10 + $1] }! != labels[i] }
            return (fooled.reduce(0.0) { $0 + Double(scores[$1]) } / Double(max(fooled.count, 1)), fooled.count)
        }
        let plain = try AdaptivePGD(detector: detector, eps: 0.1, alpha: 0.0125, steps: 40, c: 0, seed: 1).attack(images: x, labels: labels)
        let adaptive = try AdaptivePGD(detector: detector, eps: 0.1, alpha: 0.0125, steps: 40, c: 1, seed: 1).attack(images: x, labels: labels)
        let (plainScore, plainFooled) = try meanScoreOfSuccesses(plain), (adaptiveScore, adaptiveFooled) = try meanScoreOfSuccesses(adaptive)
        print(String(format: "ensemble score of successful images: margin-only PGD %.3f (%d fooled), adaptive %.3f (%d fooled)",
                     plainScore, plainFooled, adaptiveScore, adaptiveFooled))
        #expect(adaptiveFooled >= 18)
        #expect(adaptiveScore < plainScore - 0.03)
    }
}
