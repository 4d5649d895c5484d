import Foundation
import GlimpseCore
import GlimpseDefenses
import GlimpseImage
import GlimpseModels
import GlimpseSaliency
import Testing

@Suite struct DetectionTests {
    @Test func thresholdFlagsAtMostTheAllowedFraction() throws {
        let clean = (1...100).map(Float.init).shuffled()
        let t = try DetectionThreshold(calibratingOn: clean, falsePositiveRate: 0.05)
        #expect(t.value == 95 && t.calibrationFalsePositiveRate == 0.05)
        #expect(t.flaggedFraction(clean) == 0.05)
        #expect(t.flaggedFraction([96, 1, 200, 95]) == 0.5)
        // Ties never push the false-positive rate above the target.
        let tied = try DetectionThreshold(calibratingOn: [Float](repeating: 1, count: 10) + [2], falsePositiveRate: 0.2)
        #expect(tied.calibrationFalsePositiveRate <= 0.2)
        #expect(throws: DefenseError.self) { try DetectionThreshold(calibratingOn: [], falsePositiveRate: 0.05) }
        #expect(throws: DefenseError.self) { try DetectionThreshold(calibratingOn: [1], falsePositiveRate: 1.5) }
        #expect(throws: DefenseError.self) { try DetectionThreshold(calibratingOn: [.nan], falsePositiveRate: 0.1) }
    }

    /// The real model and a real photo (skipped with a message when the set-up has not run).
    static let lite: (model: any Classifier, photo: Tensor)? = {
        let photo = ModelZoo.cacheDirectory.appendingPathComponent("photos/chelsea.png")
        guard let model = try? ModelZoo.load("efficientnet-lite0"), let image = try? ImageCodec.load(contentsOf: photo),
              let x = try? model.preprocess(image) else {
            print("skipped: EfficientNet-Lite0 weights or photos missing in \(ModelZoo.cacheDirectory.path) (run scripts/setup.sh)")
            return nil
        }
        return (model, x)
    }()

    @Test func featureSqueezingScoreIsTheLargestSoftmaxL1Distance() throws {
        guard let (model, x) = Self.lite else { return }
        let detector = try FeatureSqueezingDetector(model: model, squeezers: [.bitDepth(bits: 4), .median(size: 2)])
        let score = try detector.scores(x)[0]
        let p = try model.logits(x).softmax(axis: 1).scalars
        let distances = try [InputTransform.bitDepth(bits: 4), .median(size: 2)].map { s in
            let q = try model.logits(s.apply(x)).softmax(axis: 1).scalars
            return zip(p, q).reduce(0) { $0 + Swift.abs($1.0 - $1.1) }
        }
        #expect(Swift.abs(score - distances.max()!) < 1e-4, "\(score) vs \(distances)")
        #expect(score > 0 && score < 2)
        // Differentiable for adaptive attacks.
        let tracked = x.requiringGradient()
        let g = try gradient(of: detector.scoreTensor(tracked).sum(), wrt: [tracked])[0]
        #expect(g.scalars.contains { $0 != 0 })
        #expect(throws: DefenseError.self) { try FeatureSqueezingDetector(model: model, squeezers: []) }
    }

    @Test func interpreterEnsembleAgreesWithItselfAndNotWithADifferentMethod() throws {
        guard let (model, x) = Self.lite else { return }
        // Grad-CAM and HiResCAM coincide at the head layer (a global-average-pooled layer): no disagreement.
        let same = try InterpreterEnsembleDetector(model: model, interpreters: [.gradcam, .hirescam]).scores(x)[0]
        let different = try InterpreterEnsembleDetector(model: model, interpreters: [.vanilla, .gradcam]).scores(x)[0]
        #expect(same < 1e-4, "\(same)")
        #expect(different > 0.05 && different < 1, "\(different)")
        #expect(throws: DefenseError.self) { try InterpreterEnsembleDetector(model: model, interpreters: [.gradcam]) }
    }
}
