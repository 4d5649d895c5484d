import GlimpseCore
import GlimpseModels

/// Projected Gradient Descent in the L∞ ball — Madry, Makelov, Schmidt, Tsipras & Vladu, "Towards Deep Learning
/// Models Resistant to Adversarial Attacks", ICLR 2018.
///
/// Norm: L∞. Optional random start `x0 + U(−ε, ε)`; each step `x ← x − α·sign(∇ₓ L)` on the minimised goal loss
/// (minus CE of the label, or CE of the target), then `δ = clamp(x − x0, −ε, ε)`, `x = clamp(x0 + δ, 0, 1)`.
/// Defaults as torchattacks `PGD`: ε = 8/255, α = 2/255, 10 steps, random start. Returns the last iterate.
/// `stepMask` ([1 or N, 1 or C, H, W], optional) multiplies every step: AdvEdge's edge weighting and ART's `mask`.
public struct PGDLinf: ClassifierAttack {
    public let name = "pgd"
    public var eps: Float
    public var alpha: Float
    public var steps: Int
    public var randomStart: Bool
    public var goal: AttackGoal
    public var seed: UInt64
    public var stepMask: Tensor?

    public init(eps: Float = 8 / 255, alpha: Float = 2 / 255, steps: Int = 10, randomStart: Bool = true,
                goal: AttackGoal = .untargeted, seed: UInt64 = 0, stepMask: Tensor? = nil) {
        self.eps = eps
        self.alpha = alpha
        self.steps = steps
        self.randomStart = randomStart
        self.goal = goal
        self.seed = seed
        self.stepMask = stepMask
    }

    public func attack(_ model: any Classifier, images: Tensor, labels: [Int]) throws -> AttackResult {
        try validateParameters()
        try AttackSupport.check(model, images, labels)
        var rng = SeededRNG(seed: seed)
        let targets = try AttackSupport.targets(goal, model: model, images: images, labels: labels, rng: &rng)
        let mask = try stepMask.map { try SignStep.expandedMask($0, like: images) }
        var x = images
        if randomStart {
            let noise = Tensor.uniform(images.shape, low: -eps, high: eps, rng: &rng)
            x = AttackSupport.projectLinf(AttackSupport.zip3(images, noise) { $0 + $1 }, around: images, eps: eps)
        }
        var history: [Float] = []
        for _ in 0..<steps {
            let (g, loss, _) = try AttackSupport.lossGradient(model, x, labels: labels, targets: targets)
            history.append(loss)
            x = AttackSupport.projectLinf(SignStep.descend(x, g, alpha: alpha, mask: mask), around: images, eps: eps)
        }
        return try AttackResult(model: model, adversarial: x, labels: labels, targets: targets, lossHistory: history)
    }

    func validateParameters() throws {
        try AttackSupport.require("eps", eps, in: 0...1)
        try AttackSupport.require("alpha", alpha, in: 0...1)
        try AttackSupport.requireSteps("steps", steps)
    }
}

/// The signed-gradient descent step shared by the L∞ attacks.
enum SignStep {
    /// `x − α·m·sign(g)` where m is the (optional) step mask of x's shape.
    static func descend(_ x: Tensor, _ g: Tensor, alpha: Float, mask: Tensor?) -> Tensor {
        x.withUnsafeBufferPointer { px in
            g.withUnsafeBufferPointer { pg in
                Tensor(shape: x.shape) { out, n in
                    if let mask {
                        mask.withUnsafeBufferPointer { pm in
                            for i in 0..<n { out[i] = px[i] - alpha * pm[i] * sign(pg[i]) }
                        }
                    } else {
                        for i in 0..<n { out[i] = px[i] - alpha * sign(pg[i]) }
                    }
                }
            }
        }
    }

    @inline(__always) static func sign(_ v: Float) -> Float { v > 0 ? 1 : (v < 0 ? -1 : 0) }

    /// A step mask broadcast to the images' shape; throws when it cannot be.
    static func expandedMask(_ mask: Tensor, like images: Tensor) throws -> Tensor {
        guard mask.rank == 4, mask.shape[2] == images.shape[2], mask.shape[3] == images.shape[3],
              [1, images.shape[0]].contains(mask.shape[0]), [1, images.shape[1]].contains(mask.shape[1]) else {
            throw AttackError.badParameter("step mask of shape \(mask.shape) does not broadcast to the images \(images.shape)")
        }
        return try withoutGradient { try mask.broadcast(to: images.shape) }
    }
}
