import GlimpseCore
import GlimpseModels

/// Fast Gradient Sign Method — Goodfellow, Shlens & Szegedy, "Explaining and Harnessing Adversarial Examples",
/// ICLR 2015.
///
/// Norm: L∞. One step `x* = clamp(x + ε·sign(∇ₓ CE(f(x), y)), 0, 1)` (targeted: `x − ε·sign(∇ₓ CE(f(x), t))`).
/// Defaults as torchattacks: ε = 8/255. `seed` only draws random targets.
public struct FGSM: ClassifierAttack {
    public let name = "fgsm"
    public var eps: Float
    public var goal: AttackGoal
    public var seed: UInt64

    public init(eps: Float = 8 / 255, goal: AttackGoal = .untargeted, seed: UInt64 = 0) {
        self.eps = eps
        self.goal = goal
        self.seed = seed
    }

    public func attack(_ model: any Classifier, images: Tensor, labels: [Int]) throws -> AttackResult {
        try AttackSupport.require("eps", eps, in: 0...1)
        try AttackSupport.check(model, images, labels)
        var rng = SeededRNG(seed: seed)
        let targets = try AttackSupport.targets(goal, model: model, images: images, labels: labels, rng: &rng)
        let (g, loss, _) = try AttackSupport.lossGradient(model, images, labels: labels, targets: targets)
        let step = AttackSupport.zip3(images, g) { x, gv in x - eps * (gv > 0 ? 1 : (gv < 0 ? -1 : 0)) }
        let adversarial = AttackSupport.projectLinf(step, around: images, eps: eps)
        return try AttackResult(model: model, adversarial: adversarial, labels: labels, targets: targets, lossHistory: [loss])
    }
}
