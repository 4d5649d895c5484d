import GlimpseCore
import GlimpseModels

/// PGD adversarial training (Madry et al., "Towards Deep Learning Models Resistant to Adversarial Attacks"):
/// each step replaces a `fraction` of the batch by PGD-L∞ examples made on the fly against the current weights
/// (uniform random start in the ε-ball, `steps` signed-gradient ascent steps of size α on the cross-entropy,
/// projection onto the ε-ball and [0, 1]), then trains on the mixed batch with cross-entropy.
///
/// The attack uses the model as it trains (batch norm with the batch's statistics) with the weights held constant;
/// its random start is drawn from the step's generator, so a run is reproducible and resumes exactly.
public struct AdversarialTraining: Codable, Sendable, Equatable {
    /// L∞ radius, step size (pixel units, images in [0, 1]) and number of PGD steps.
    public var epsilon: Float, alpha: Float, steps: Int
    /// Fraction of each batch replaced by adversarial examples (1: Madry's all-adversarial training).
    public var fraction: Float

    public init(epsilon: Float = 0.1, alpha: Float = 0.025, steps: Int = 7, fraction: Float = 1) throws {
        self.epsilon = epsilon; self.alpha = alpha; self.steps = steps; self.fraction = fraction
        try validate()
    }

    func validate() throws {
        guard epsilon > 0, epsilon <= 1, alpha > 0, alpha <= 1, steps >= 1, fraction > 0, fraction <= 1 else {
            throw TrainingError.invalidSetting("adversarial training needs 0 < ε ≤ 1 (\(epsilon)), 0 < α ≤ 1 (\(alpha)), steps ≥ 1 (\(steps)) and 0 < fraction ≤ 1 (\(fraction))")
        }
    }

    /// How many of `n` examples are attacked: round(fraction·n), at least 1.
    public func attackedCount(_ n: Int) -> Int { min(n, max(1, Int((fraction * Float(n)).rounded()))) }

    /// The batch with its first `attackedCount` examples (the batch is already shuffled) replaced by PGD examples.
    public func mixedBatch(_ model: any TrainableClassifier, _ x: Tensor, labels: [Int], parameters: [String: Tensor],
                    rng: inout SeededRNG) throws -> Tensor {
        let k = attackedCount(labels.count)
        let constants = parameters.detachedValues()
        let clean = try x.sliced(axis: 0, 0..<k), cleanLabels = Array(labels[0..<k])
        let adversarial = try AdversarialTraining.pgd(clean, labels: cleanLabels, epsilon: epsilon, alpha: alpha, steps: steps,
                                                      rng: &rng) { try model.trainingLogits($0, parameters: constants).logits }
        guard k < labels.count else { return adversarial }
        return try Tensor.concatenate([adversarial, x.sliced(axis: 0, k..<labels.count).detached()], axis: 0)
    }

    /// Untargeted PGD-L∞ on the mean cross-entropy of `logits(x)` from a uniform random start; a constant result.
    public static func pgd(_ images: Tensor, labels: [Int], epsilon: Float, alpha: Float, steps: Int, rng: inout SeededRNG,
                           logits: (Tensor) throws -> Tensor) throws -> Tensor {
        let clean = images.detached().scalars
        let noise = Tensor.uniform(images.shape, low: -epsilon, high: epsilon, rng: &rng).scalars
        var x = project(zip(clean, noise).map { $0 + $1 }, around: clean, epsilon: epsilon)
        for _ in 0..<steps {
            let xt = try Tensor(x, shape: images.shape).requiringGradient()
            let g = try gradient(of: try logits(xt).crossEntropy(labels: labels), wrt: [xt])[0].scalars
            x = project(zip(x, g).map { $0 + alpha * ($1 > 0 ? 1 : ($1 < 0 ? -1 : 0)) }, around: clean, epsilon: epsilon)
        }
        return try Tensor(x, shape: images.shape)
    }

    /// Clips each value into [clean − ε, clean + ε] ∩ [0, 1].
    static func project(_ x: [Float], around clean: [Float], epsilon: Float) -> [Float] {
        zip(x, clean).map { v, c in min(max(v, max(c - epsilon, 0)), min(c + epsilon, 1)) }
    }
}
