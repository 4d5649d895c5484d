import GlimpseCore
import GlimpseModels

/// The outcome of an attack on a batch.
public struct AttackResult {
    /// Adversarial images [N, C, H, W] in [0, 1].
    public let adversarial: Tensor
    /// True labels of the images.
    public let labels: [Int]
    /// Target classes (nil for untargeted attacks).
    public let targets: [Int]?
    /// Logits of the adversarial images [N, classes].
    public let finalLogits: Tensor
    /// Per image: the goal is reached (targeted: argmax = target; untargeted: argmax ≠ label).
    public let success: [Bool]
    /// The minimised loss summed over the batch, one value per step.
    public let lossHistory: [Float]

    /// Predicted class of each adversarial image.
    public var predictions: [Int] { Prediction.argmax(finalLogits) }

    /// The result for final images `adversarial`: evaluates the model on them and decides success.
    init(model: any Classifier, adversarial: Tensor, labels: [Int], targets: [Int]?, lossHistory: [Float]) throws {
        self.adversarial = adversarial
        self.labels = labels
        self.targets = targets
        finalLogits = try model.logits(adversarial)
        success = Prediction.success(logits: finalLogits, labels: labels, targets: targets)
        self.lossHistory = lossHistory
    }
}

/// Helpers on logits [N, classes].
public enum Prediction {
    /// Arg-max class per row (first on ties).
    public static func argmax(_ logits: Tensor) -> [Int] {
        let c = logits.shape[1], z = logits.scalars
        return (0..<logits.shape[0]).map { i in
            let row = z[(i * c)..<((i + 1) * c)]
            return row.indices.max { row[$0] < row[$1] }! - i * c
        }
    }

    /// Whether each image meets its goal.
    public static func success(logits: Tensor, labels: [Int], targets: [Int]?) -> [Bool] {
        let p = argmax(logits)
        if let targets { return zip(p, targets).map { $0 == $1 } }
        return zip(p, labels).map { $0 != $1 }
    }
}
