import GlimpseCore
import GlimpseDefenses
import Testing

/// The defense evaluation on the trained Fashion-MNIST CNN: every figure it reports must come from a working attack
/// and a working detector (a do-nothing attack has no successes; a do-nothing detector flags nothing).
@Suite struct DefenseEvaluationTests {
    static func report() throws -> DefenseReport {
        var settings = DefenseEvaluation.Settings()
        settings.interpreters = ["cam"]
        settings.epsSweep = [0.01, 0.1]
        settings.transforms = ["median:2", "gaussian:1"]
        let calibration = try Support.testImages(start: 0, count: 100).images
        let (attacked, labels) = try Support.testImages(start: 100, count: 40)
        return try DefenseEvaluation(model: Support.model(), settings: settings).run(calibration: calibration, attacked: attacked, labels: labels)
    }

    @Test(.enabled(if: Support.trainedModelPresent, Comment(rawValue: Support.skipMessage)))
    func detectionAndTransformsMeasureRealEffects() throws {
        let report = try Self.report()
        print(report.markdown)
        func row(_ attack: String, _ interpreter: String = "-") throws -> DefenseRow {
            try #require(report.rows.first { $0.attack == attack && $0.interpreter == interpreter })
        }
        let clean = try row("clean"), pgd = try row("pgd"), adaptive = try row("adaptive-pgd")
        #expect(clean.accuracy["none"] == 1)
        // Held-out false-positive rate near the calibrated 5%.
        for key in ["squeezing", "ensemble"] { #expect(try #require(clean.detection[key]) <= 0.2) }
        // PGD succeeds and feature squeezing catches clearly more than its false-positive rate.
        #expect(pgd.successRate >= 0.9)
        #expect(try #require(pgd.accuracy["none"]) <= 0.1)
        let caught = try #require(pgd.detection["squeezing"])
        #expect(caught >= 0.2)
        // The adaptive attack still succeeds but escapes feature squeezing more often.
        #expect(adaptive.successRate >= 0.5)
        #expect(try #require(adaptive.detection["squeezing"]) < caught - 0.1)
        // The interpreter attacks ran on CAM and reached their targets on some images.
        for method in ["adv2", "advedge", "advedge+"] { #expect(try row(method, "cam").successRate > 0.3) }
        // A transform recovers some accuracy on PGD's images (a do-nothing transform leaves it at "none").
        let recovered = report.settings.transforms.compactMap { pgd.accuracy[$0] }.max() ?? 0
        #expect(recovered > (pgd.accuracy["none"] ?? 1) + 0.1)
        // The sweep: a larger budget succeeds more often.
        #expect(report.sweep.count == 2 && report.sweep[0].successRate < report.sweep[1].successRate)
    }

    @Test(.enabled(if: Support.trainedModelPresent, Comment(rawValue: Support.skipMessage)))
    func badInputsAreTypedErrors() throws {
        let model = try Support.model()
        var settings = DefenseEvaluation.Settings()
        settings.transforms = ["blur:3"]
        let x = try Support.testImages(start: 0, count: 4)
        #expect(throws: DefenseError.self) {
            try DefenseEvaluation(model: model, settings: settings).run(calibration: x.images, attacked: x.images, labels: x.labels)
        }
        let detector = try FeatureSqueezingDetector(model: model)
        #expect(throws: DefenseError.self) { try AdaptivePGD(detector: detector, eps: 2).attack(images: x.images, labels: x.labels) }
        #expect(throws: DefenseError.self) { try AdaptivePGD(detector: detector).attack(images: x.images, labels: [0]) }
    }
}
