import GlimpseCore
import GlimpseModels

/// PGD-L∞ adapted to a differentiable detector — feature squeezing or the interpreter ensemble (the adaptive attack of He et al., "Adversarial Example Defenses: Ensembles
/// of Weak Defenses Are Not Strong", WOOT 2017, and Athalye et al. 2018): each step descends
/// `max(z_y − max_{j≠y} z_j, −κ) + c·score(x)`, where `score` is the detector's differentiable `scoreTensor`
/// (bit depth and JPEG through the straight-through estimator). The margin is clamped at −κ so that once an image
/// is misclassified with margin κ only the detector term drives it. Untargeted; no autodiff outside the step.
///
/// Per image the attack keeps the misclassified iterate with the lowest detector score (the last iterate when none
/// was misclassified). Steps are projected onto the ε-ball around the clean image and onto [0, 1].
public struct AdaptivePGD {
    public var detector: any DifferentiableDetector
    public var eps: Float
    public var alpha: Float
    public var steps: Int
    /// Weight of the detector score in the loss (c = 0 is a margin-loss PGD).
    public var c: Float
    /// Logit margin κ beyond which misclassification is not pushed further.
    public var kappa: Float
    public var seed: UInt64

    public init(detector: any DifferentiableDetector, eps: Float = 0.1, alpha: Float = 0.01, steps: Int = 40, c: Float = 10,
                kappa: Float = 5, seed: UInt64 = 0) {
        self.detector = detector
        (self.eps, self.alpha, self.steps, self.c, self.kappa, self.seed) = (eps, alpha, steps, c, kappa, seed)
    }

    /// Adversarial images [N, C, H, W] in [0, 1] for `images` of true classes `labels`, with a random start.
    public func attack(images: Tensor, labels: [Int]) throws -> Tensor {
        guard eps.isFinite, (0...1).contains(eps), alpha.isFinite, alpha > 0, alpha <= 1, c.isFinite, c >= 0,
              kappa.isFinite, kappa >= 0, (1...100_000).contains(steps) else {
            throw DefenseError.invalidOption("adaptive PGD needs eps in [0, 1], alpha in (0, 1], c ≥ 0, κ ≥ 0 and 1...100000 steps")
        }
        guard images.rank == 4, labels.count == images.shape[0] else {
            throw DefenseError.badInput("adaptive PGD takes images [N, C, H, W] and N labels, got \(images.shape) and \(labels.count)")
        }
        let model = detector.model
        guard labels.allSatisfy({ (0..<model.classCount).contains($0) }) else {
            throw DefenseError.badInput("label out of range 0..<\(model.classCount)")
        }
        guard images.scalars.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
            throw DefenseError.badInput("attack images must have values in [0, 1]")
        }
        let n = images.shape[0], per = images.count / n
        let clean = images.scalars
        var rng = SeededRNG(seed: seed)
        let noise = Tensor.uniform(images.shape, low: -eps, high: eps, rng: &rng).scalars
        var x = project(zip(clean, noise).map { $0 + $1 }, clean)
        var best = [[Float]?](repeating: nil, count: n)
        var bestScore = [Float](repeating: .infinity, count: n)
        let others = labelMask(labels, classes: model.classCount)
        for step in 0...steps {
            let input = try Tensor(x, shape: images.shape).requiringGradient()
            let logits = try model.run(input).logits
            let trueLogit = try logits.picking(labels)
            let otherMax = try (logits + others).max(axes: [1])
            let margin = try (trueLogit - otherMax).clamped(-kappa, .infinity)
            let score = try detector.scoreTensor(input)
            // Keep the best misclassified iterate (margin < 0) seen so far, before stepping.
            let (m, s) = (margin.scalars, score.scalars)
            for i in 0..<n where m[i] < 0 && s[i] < bestScore[i] {
                bestScore[i] = s[i]
                best[i] = Array(x[(i * per)..<((i + 1) * per)])
            }
            if step == steps { break }
            let loss = try (margin + score * c).sum()
            let g = try gradient(of: loss, wrt: [input])[0].scalars
            x = project(zip(x, g).map { $0 - alpha * ($1 > 0 ? 1 : ($1 < 0 ? -1 : 0)) }, clean)
        }
        for i in 0..<n { if let kept = best[i] { x.replaceSubrange((i * per)..<((i + 1) * per), with: kept) } }
        return try Tensor(x, shape: images.shape)
    }

    /// Each value moved into [x0 − ε, x0 + ε] ∩ [0, 1].
    private func project(_ x: [Float], _ x0: [Float]) -> [Float] {
        zip(x, x0).map { v, o in Swift.min(Swift.max(Swift.min(Swift.max(v, o - eps), o + eps), 0), 1) }
    }

    /// [N, classes] with −1e4 at each image's label and 0 elsewhere: added to the logits, the max is over j ≠ y.
    private func labelMask(_ labels: [Int], classes: Int) -> Tensor {
        Tensor(shape: [labels.count, classes]) { p, count in
            for k in 0..<count { p[k] = 0 }
            for (i, y) in labels.enumerated() { p[i * classes + y] = -1e4 }
        }
    }
}
