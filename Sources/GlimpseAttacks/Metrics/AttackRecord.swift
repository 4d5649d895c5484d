import GlimpseCore
import GlimpseModels

/// Everything measured for one attacked image: one JSON line of an experiment.
public struct AttackRecord: Codable, Equatable, Sendable {
    public var image: String
    public var model: String
    /// "pgd", "adv2", "advedge", "advedge+", or "clean" for the clean-map baseline.
    public var method: String
    /// Interpreter whose maps are compared ("grad", "cam", "gradcam").
    public var interpreter: String
    public var preset: String
    public var label: Int
    public var target: Int?
    public var prediction: Int
    public var success: Bool
    /// Success after storing the adversarial image as 8-bit (rounded).
    public var successQuantized: Bool
    /// Max softmax probability of the adversarial image.
    public var confidence: Double
    public var linf: Double
    public var l2: Double
    /// Share of Σ|δ| on pixels whose clean Sobel edge value exceeds 0.1.
    public var edgeFraction: Double
    public var ssim: Double
    /// Map distances between the adversarial map (target class) and the clean map (true class), native grid.
    public var mapL1: Double
    public var mapL2: Double
    /// Top-k% IoU for `iouFractions`, and its mean.
    public var iou: [Double]
    public var iouMean: Double
    public var seconds: Double

    /// Measures an attack on one image: `clean` and `adversarial` [1, C, H, W], maps [1, h, w] (or [h, w]).
    public static func measure(image: String, model: any Classifier, method: String, interpreter: String, preset: String,
                               clean: Tensor, adversarial: Tensor, label: Int, target: Int?, cleanMap: Tensor,
                               adversarialMap: Tensor, seconds: Double,
                               iouFractions: [Double] = MapMetrics.defaultFractions) throws -> AttackRecord {
        guard clean.shape == adversarial.shape, clean.rank == 4, clean.shape[0] == 1 else {
            throw AttackError.badInput("measure takes one clean and one adversarial image [1, C, H, W], found \(clean.shape) and \(adversarial.shape)")
        }
        guard cleanMap.count == adversarialMap.count, cleanMap.count > 0 else {
            throw AttackError.badInput("maps of different sizes: \(cleanMap.shape) and \(adversarialMap.shape)")
        }
        let (c, h, w) = (clean.shape[1], clean.shape[2], clean.shape[3])
        let x = clean.scalars, a = adversarial.scalars
        let logits = try model.logits(adversarial)
        let probabilities = try logits.softmax(axis: 1).scalars
        let prediction = Prediction.argmax(logits)[0]
        let quantized = try Tensor(PerturbationMetrics.quantized(a), shape: adversarial.shape)
        let quantizedPrediction = Prediction.argmax(try model.logits(quantized))[0]
        func reached(_ p: Int) -> Bool { target.map { p == $0 } ?? (p != label) }
        let edges = try EdgeWeighting.sobel(clean).scalars
        let m0 = cleanMap.scalars, m1 = adversarialMap.scalars
        let iou = MapMetrics.topKIoU(m1, m0, fractions: iouFractions)
        return AttackRecord(
            image: image, model: model.name, method: method, interpreter: interpreter, preset: preset, label: label,
            target: target, prediction: prediction, success: reached(prediction), successQuantized: reached(quantizedPrediction),
            confidence: Double(probabilities.max() ?? 0), linf: PerturbationMetrics.linf(a, x), l2: PerturbationMetrics.l2(a, x),
            edgeFraction: PerturbationMetrics.edgeFraction(a, x, edges: edges), ssim: SSIM.value(a, x, channels: c, height: h, width: w),
            mapL1: MapMetrics.l1(m1, m0), mapL2: MapMetrics.l2(m1, m0), iou: iou,
            iouMean: iou.isEmpty ? 0 : iou.reduce(0, +) / Double(iou.count), seconds: seconds)
    }
}

/// Aggregates of a group of records (one table row).
public struct AttackSummary: Codable, Equatable, Sendable {
    public var count: Int
    /// Attack success rate.
    public var asr: Double
    /// Attack success rate after 8-bit quantisation.
    public var asrQuantized: Double
    /// Mean and standard deviation (ddof = 1; 0 for fewer than two) of the confidence over successes.
    public var confidenceMean: Double
    public var confidenceStd: Double
    public var linf: Double
    public var l2: Double
    public var edgeFraction: Double
    public var ssim: Double
    public var mapL1: Double
    public var mapL2: Double
    /// Mean top-k% IoU curve and its mean.
    public var iou: [Double]
    public var iouMean: Double
    public var seconds: Double

    public init(_ records: [AttackRecord]) {
        count = records.count
        let n = Double(max(records.count, 1))
        func mean(_ f: (AttackRecord) -> Double) -> Double { records.reduce(0) { $0 + f($1) } / n }
        asr = mean { $0.success ? 1 : 0 }
        asrQuantized = mean { $0.successQuantized ? 1 : 0 }
        let confidences = records.filter(\.success).map(\.confidence)
        confidenceMean = confidences.isEmpty ? 0 : confidences.reduce(0, +) / Double(confidences.count)
        let m = confidenceMean
        confidenceStd = confidences.count < 2 ? 0
            : (confidences.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(confidences.count - 1)).squareRoot()
        linf = mean(\.linf); l2 = mean(\.l2); edgeFraction = mean(\.edgeFraction); ssim = mean(\.ssim)
        mapL1 = mean(\.mapL1); mapL2 = mean(\.mapL2); iouMean = mean(\.iouMean); seconds = mean(\.seconds)
        let k = records.first?.iou.count ?? 0
        iou = (0..<k).map { j in records.reduce(0) { $0 + ($1.iou.count > j ? $1.iou[j] : 0) } / n }
    }
}
