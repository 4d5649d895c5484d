import GlimpseCore
import GlimpseModels

/// A detector gives each image a score; higher means more likely adversarial.
public protocol AdversarialDetector {
    /// Short name for tables ("feature-squeezing").
    var name: String { get }
    /// One score per image of x [N, C, H, W] in [0, 1], without recording gradients.
    func scores(_ x: Tensor) throws -> [Float]
}

/// Feature squeezing (Xu, Evans & Qi, NDSS 2018): the score of an image is the largest L1 distance between the
/// model's softmax on the image and on each squeezed copy. The authors' ImageNet setting squeezes with 5-bit depth,
/// a 2×2 median and non-local means; Glimpse offers bit depth, median, JPEG and Gaussian squeezers.
public struct FeatureSqueezingDetector: AdversarialDetector {
    public let model: any Classifier
    public let squeezers: [InputTransform]
    public var name: String { "feature-squeezing(" + squeezers.map(\.description).joined(separator: ",") + ")" }

    public init(model: any Classifier, squeezers: [InputTransform] = [.bitDepth(bits: 5), .median(size: 2)]) throws {
        guard !squeezers.isEmpty else { throw DefenseError.invalidOption("feature squeezing needs at least one squeezer") }
        for s in squeezers { try s.validate() }
        self.model = model
        self.squeezers = squeezers
    }

    /// The scores as a differentiable tensor [N], for adaptive attacks that also minimise the detector's score.
    public func scoreTensor(_ x: Tensor) throws -> Tensor {
        let reference = try model.run(x).logits.softmax(axis: 1)
        let distances = try squeezers.map { squeezer in
            let squeezed = try model.run(squeezer.apply(x)).logits.softmax(axis: 1)
            return try (reference - squeezed).abs().sum(axes: [1])
        }
        return try Tensor.stack(distances).max(axes: [0])
    }

    public func scores(_ x: Tensor) throws -> [Float] {
        try withoutGradient { try scoreTensor(x).scalars }
    }
}

/// A detection threshold chosen on clean images for a target false-positive rate, and the rates it gives.
public struct DetectionThreshold: Sendable, Equatable {
    /// Images scoring strictly above it are flagged.
    public let value: Float
    /// The false-positive rate measured on the calibration images.
    public let calibrationFalsePositiveRate: Double

    /// The smallest threshold among the clean scores that flags at most `falsePositiveRate` of them.
    public init(calibratingOn cleanScores: [Float], falsePositiveRate: Double) throws {
        guard !cleanScores.isEmpty else { throw DefenseError.badInput("calibration needs at least one clean score") }
        guard (0...1).contains(falsePositiveRate) else {
            throw DefenseError.invalidOption("false-positive rate must be in [0, 1], got \(falsePositiveRate)")
        }
        guard cleanScores.allSatisfy(\.isFinite) else { throw DefenseError.badInput("clean detector scores contain NaN or infinity") }
        let sorted = cleanScores.sorted()
        let allowed = Int((falsePositiveRate * Double(sorted.count)).rounded(.down))
        // Flag the `allowed` highest scores at most: the threshold is the score just below them.
        let threshold = sorted[sorted.count - 1 - allowed]
        value = threshold
        calibrationFalsePositiveRate = Double(sorted.filter { $0 > threshold }.count) / Double(sorted.count)
    }

    /// Fraction of `scores` flagged (the true-positive rate on adversarial images, the false-positive rate on clean ones).
    public func flaggedFraction(_ scores: [Float]) -> Double {
        scores.isEmpty ? 0 : Double(scores.filter { $0 > value }.count) / Double(scores.count)
    }
}
