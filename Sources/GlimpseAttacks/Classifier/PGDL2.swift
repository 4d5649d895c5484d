import GlimpseCore
import GlimpseModels

/// Projected Gradient Descent in the L2 ball — Madry et al., "Towards Deep Learning Models Resistant to
/// Adversarial Attacks", ICLR 2018 (L2 variant as in torchattacks `PGDL2`).
///
/// Norm: L2 per image. Random start: a Gaussian direction of radius `U(0, 1)·ε`; each step
/// `x ← x − α·∇L/‖∇L‖₂` (+1e-10), then `δ ← δ·min(1, ε/‖δ‖₂)` and `x = clamp(x0 + δ, 0, 1)`.
/// Defaults as torchattacks: ε = 1.0, α = 0.2, 10 steps, random start. Returns the last iterate.
public struct PGDL2: ClassifierAttack {
    public let name = "pgd-l2"
    public var eps: Float
    public var alpha: Float
    public var steps: Int
    public var randomStart: Bool
    public var goal: AttackGoal
    public var seed: UInt64

    public init(eps: Float = 1, alpha: Float = 0.2, steps: Int = 10, randomStart: Bool = true,
                goal: AttackGoal = .untargeted, seed: UInt64 = 0) {
        self.eps = eps
        self.alpha = alpha
        self.steps = steps
        self.randomStart = randomStart
        self.goal = goal
        self.seed = seed
    }

    public func attack(_ model: any Classifier, images: Tensor, labels: [Int]) throws -> AttackResult {
        try AttackSupport.require("eps", eps, in: 0...1000)
        try AttackSupport.require("alpha", alpha, in: 0...1000)
        try AttackSupport.requireSteps("steps", steps)
        try AttackSupport.check(model, images, labels)
        var rng = SeededRNG(seed: seed)
        let targets = try AttackSupport.targets(goal, model: model, images: images, labels: labels, rng: &rng)
        var x = images
        if randomStart {
            let direction = AttackSupport.normalizedL2(Tensor.normal(images.shape, rng: &rng))
            let n = images.shape[0], per = images.count / n
            let radii = (0..<n).map { _ in rng.nextUniform() * eps }
            let d = direction.scalars
            let start = images.withUnsafeBufferPointer { o in
                Tensor(shape: images.shape) { out, count in for k in 0..<count { out[k] = o[k] + d[k] * radii[k / per] } }
            }
            x = AttackSupport.projectL2(start, around: images, eps: eps)
        }
        var history: [Float] = []
        for _ in 0..<steps {
            let (g, loss, _) = try AttackSupport.lossGradient(model, x, labels: labels, targets: targets)
            history.append(loss)
            let unit = AttackSupport.normalizedL2(g)
            x = AttackSupport.projectL2(AttackSupport.zip3(x, unit) { $0 - alpha * $1 }, around: images, eps: eps)
        }
        return try AttackResult(model: model, adversarial: x, labels: labels, targets: targets, lossHistory: history)
    }
}
