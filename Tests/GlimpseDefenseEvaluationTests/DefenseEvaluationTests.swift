import Foundation
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
        // The adaptive attack against the interpreter ensemble succeeds too (its effect on the score: EnsembleAdaptiveTests).
        #expect(try row("adaptive-pgd-ensemble").successRate >= 0.5)
        // The interpreter attacks ran on CAM and reached their targets on some images.
        for method in ["adv2", "advedge", "advedge+"] { #expect(try row(method, "cam").successRate > 0.3) }
        // A transform recovers some accuracy on PGD's images (a do-nothing transform leaves it at "none").
        let recovered = report.settings.transforms.compactMap { pgd.accuracy[$0] }.max() ?? 0
        #expect(recovered > (pgd.accuracy["none"] ?? 1) + 0.1)
        // The sweep: a larger budget succeeds more often.
        #expect(report.sweep.count == 2 && report.sweep[0].successRate < report.sweep[1].successRate)
    }

    /// A second run with the same settings reuses the stored rows (a planted value comes back); other settings do not.
    @Test(.enabled(if: Support.trainedModelPresent, Comment(rawValue: Support.skipMessage)))
    func finishedRowsAreReusedOnResume() throws {
        var settings = DefenseEvaluation.Settings()
        (settings.interpreters, settings.epsSweep, settings.transforms) = ([], [0.05], ["median:2"])
        let calibration = try Support.testImages(start: 0, count: 40).images
        let (attacked, labels) = try Support.testImages(start: 40, count: 10)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-defend-resume-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        func run(_ s: DefenseEvaluation.Settings) throws -> DefenseReport {
            try DefenseEvaluation(model: Support.model(), settings: s).run(calibration: calibration, attacked: attacked, labels: labels,
                                                                          resumeFolder: folder)
        }
        let first = try run(settings)
        let file = folder.appendingPathComponent("pgd.json")
        var stored = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        var row = try #require(stored["row"] as? [String: Any])
        row["successRate"] = 0.123
        stored["row"] = row
        try JSONSerialization.data(withJSONObject: stored).write(to: file)
        let resumed = try run(settings)
        #expect(resumed.rows.first { $0.attack == "pgd" }?.successRate == 0.123)
        #expect(resumed.sweep == first.sweep)
        settings.seed = 7
        #expect(try run(settings).rows.first { $0.attack == "pgd" }?.successRate != 0.123)
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
