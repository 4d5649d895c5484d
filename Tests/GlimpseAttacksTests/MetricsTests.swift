import Foundation
import GlimpseAttacks
import GlimpseCore
import Testing

@Suite struct MetricsTests {
    @Test func mapDistancesAndIoU() {
        let a: [Float] = [0.9, 0.8, 0.1, 0.0], b: [Float] = [0.0, 0.8, 0.1, 0.9]
        #expect(abs(MapMetrics.l1(a, b) - 1.8 / 4) < 1e-6)
        #expect(abs(MapMetrics.l2(a, b) - (1.62 / 4).squareRoot()) < 1e-6)
        // top 25%: {0} vs {3} → 0; top 50%: {0,1} vs {3,1} → 1/3; top 100%: everything → 1.
        let iou = MapMetrics.topKIoU(a, b, fractions: [0.25, 0.5, 1])
        #expect(iou.count == 3 && iou[0] == 0 && abs(iou[1] - 1.0 / 3) < 1e-12 && iou[2] == 1)
        #expect(MapMetrics.topKIoU(a, a) == Array(repeating: 1, count: 9))
        // Ties are broken by index: a constant map ranks pixels in order.
        #expect(MapMetrics.topKIoU([1, 1, 1, 1], [1, 0, 0, 0], fractions: [0.25]) == [1])
    }

    @Test func perturbationMetrics() {
        let clean: [Float] = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]     // 2 channels × 2×2
        let adv: [Float] = [0.6, 0.5, 0.5, 0.2, 0.5, 0.5, 0.5, 0.5]
        #expect(abs(PerturbationMetrics.linf(adv, clean) - 0.3) < 1e-6)
        #expect(abs(PerturbationMetrics.l2(adv, clean) - (0.01 + 0.09).squareRoot()) < 1e-6)
        // Edges on pixel 0 only: 0.1 of the 0.4 L1 mass.
        #expect(abs(PerturbationMetrics.edgeFraction(adv, clean, edges: [0.5, 0, 0, 0.05]) - 0.25) < 1e-6)
        #expect(PerturbationMetrics.edgeFraction(clean, clean, edges: [1, 1, 1, 1]) == 0)
        #expect(PerturbationMetrics.quantized([0.0019, 0.002, 1.2, -1]) == [0, 1 / 255, 1, 0])
    }

    /// scikit-image 0.26 `structural_similarity(a, b, data_range=1, channel_axis=0, gaussian_weights=True,
    /// sigma=1.5, use_sample_covariance=False)` on the fixture pair gives 0.9446786.
    @Test func ssimMatchesScikitImage() throws {
        let pair = try AttackData.tensor("ssim_pair_3x20x24.npy").scalars
        let n = 3 * 20 * 24
        let s = SSIM.value(Array(pair[0..<n]), Array(pair[n...]), channels: 3, height: 20, width: 24)
        #expect(abs(s - 0.9446786) < 1e-5, "SSIM \(s)")
        #expect(abs(SSIM.value(Array(pair[0..<n]), Array(pair[0..<n]), channels: 3, height: 20, width: 24) - 1) < 1e-9)
        #expect(SSIM.value([1, 2], [1], channels: 1, height: 1, width: 2).isNaN)
    }

    @Test func summaryAggregates() throws {
        func record(_ success: Bool, _ confidence: Double, _ iou: [Double]) throws -> AttackRecord {
            let fields: [String: Any] = [
                "image": "a", "model": "m", "method": "pgd", "interpreter": "cam", "preset": "quick", "label": 0, "target": 1,
                "prediction": success ? 1 : 0, "success": success, "successQuantized": false, "confidence": confidence,
                "linf": 0.03, "l2": 1, "edgeFraction": 0.5, "ssim": 0.9, "mapL1": 0.2, "mapL2": 0.3, "iou": iou,
                "iouMean": iou.reduce(0, +) / Double(iou.count), "seconds": 2]
            return try JSONDecoder().decode(AttackRecord.self, from: JSONSerialization.data(withJSONObject: fields))
        }
        let s = AttackSummary([try record(true, 0.9, [1, 0.5]), try record(true, 0.7, [0, 0.5]), try record(false, 0.99, [1, 1])])
        #expect(s.count == 3 && abs(s.asr - 2.0 / 3) < 1e-12 && s.asrQuantized == 0)
        #expect(abs(s.confidenceMean - 0.8) < 1e-12 && abs(s.confidenceStd - 0.02.squareRoot()) < 1e-12)
        #expect(s.iou == [2.0 / 3, 2.0 / 3] && abs(s.iouMean - 2.0 / 3) < 1e-12)
    }

    @Test(.enabled(if: AttackData.hasLite)) func recordOfAnAttackOnLite0() throws {
        let model = try #require(AttackData.lite)
        let x = try AttackData.chelsea()
        let label = Prediction.argmax(try model.logits(x))[0]
        let r = try PGDLinf(eps: 8 / 255, alpha: 2 / 255, steps: 5, seed: 1).attack(model, images: x, labels: [label])
        let cam = CAMInterpreter()
        let record = try AttackRecord.measure(image: "chelsea", model: model, method: "pgd", interpreter: "cam", preset: "test",
                                              clean: x, adversarial: r.adversarial, label: label, target: nil,
                                              cleanMap: cam.map(model, x, classes: [label]),
                                              adversarialMap: cam.map(model, r.adversarial, classes: [r.predictions[0]]), seconds: 0)
        #expect(record.success == r.success[0] && record.prediction == r.predictions[0])
        #expect(record.linf <= 8.0 / 255 + 1e-6 && record.linf > 7.0 / 255)
        #expect(record.ssim > 0.5 && record.ssim < 1)
        #expect(record.edgeFraction > 0 && record.edgeFraction < 1)
        #expect(record.iou.count == 9 && record.iou.allSatisfy { (0...1).contains($0) })
        let line = try JSONEncoder().encode(record)
        #expect(try JSONDecoder().decode(AttackRecord.self, from: line) == record)
    }
}
