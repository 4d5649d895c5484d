import GlimpseCore
import GlimpseModels

/// Spatially transformed adversarial examples — Xiao, Zhu, Li, He, Liu & Song, "Spatially Transformed Adversarial
/// Examples", ICLR 2018.
///
/// No pixel-norm ball: the image is warped by a per-pixel flow field f (`FlowField`, bilinear sampling, replicate
/// border), and the attack minimises `Σ max(max_{j≠t} Z_j − Z_t, −κ)` (targeted; untargeted:
/// `max(Z_y − max_{j≠y} Z_j, −κ)`) `+ τ·L_flow(f)` with L_flow the flow's smoothness over the 4-neighbourhood.
/// The paper optimises with L-BFGS; here Adam (AMSGrad) as AdvEdge's StAdv notebooks, from the zero flow (with
/// `initialFlow` r > 0, from f ~ U(−r, r) pixels, seeded; a random start costs smoothness that τ = 0.05 then spends
/// the first steps removing). Keeps, per image, the successful iterate of smallest L_flow (the last iterate if none
/// succeeds). Defaults: τ = 0.05 (the paper's), κ = 0, 100 steps, learning rate 0.01, zero initial flow.
public struct StAdv: ClassifierAttack {
    public let name = "stadv"
    public var tau: Float
    public var kappa: Float
    public var steps: Int
    public var learningRate: Float
    /// Half-width of the uniform initial flow, in pixels.
    public var initialFlow: Float
    public var goal: AttackGoal
    public var seed: UInt64

    public init(tau: Float = 0.05, kappa: Float = 0, steps: Int = 100, learningRate: Float = 0.01, initialFlow: Float = 0,
                goal: AttackGoal = .untargeted, seed: UInt64 = 0) {
        self.tau = tau
        self.kappa = kappa
        self.steps = steps
        self.learningRate = learningRate
        self.initialFlow = initialFlow
        self.goal = goal
        self.seed = seed
    }

    public func attack(_ model: any Classifier, images: Tensor, labels: [Int]) throws -> AttackResult {
        try AttackSupport.require("tau", tau, in: 0...1e6)
        try AttackSupport.require("kappa", kappa, in: 0...1e6)
        try AttackSupport.require("learningRate", learningRate, in: 1e-8...10)
        try AttackSupport.require("initialFlow", initialFlow, in: 0...10)
        try AttackSupport.requireSteps("steps", steps)
        try AttackSupport.check(model, images, labels)
        var rng = SeededRNG(seed: seed)
        let targets = try AttackSupport.targets(goal, model: model, images: images, labels: labels, rng: &rng)
        let oneHot = CWMargin.oneHot(targets ?? labels, classes: model.classCount)
        let n = images.shape[0], per = images.count / n
        var flow = FlowField.initial(for: images, range: initialFlow, rng: &rng)
        var adam = AdamState(count: flow.count, amsgrad: true)
        var best = images.scalars
        var bestFlow = [Float](repeating: .infinity, count: n)
        var history: [Float] = []
        for _ in 0..<steps {
            let x = try FlowField.warp(images, flow: flow)
            let tracked = x.requiringGradient()
            let logits = try model.run(tracked).logits
            let margin = try CWMargin.loss(logits, oneHot: oneHot, targeted: targets != nil, kappa: kappa).sum()
            let gx = try gradient(of: margin, wrt: [tracked])[0]
            let (gf, smoothness) = try FlowField.smoothnessGradient(flow)
            let g = try withoutGradient { try FlowField.flowGradient(images, flow: flow, upstream: gx) + gf * tau }
            history.append(margin.scalar + tau * smoothness.reduce(0, +))
            let ok = Prediction.success(logits: logits.detached(), labels: labels, targets: targets)
            let values = x.scalars
            for i in 0..<n where ok[i] && smoothness[i] < bestFlow[i] {
                bestFlow[i] = smoothness[i]
                best.replaceSubrange((i * per)..<((i + 1) * per), with: values[(i * per)..<((i + 1) * per)])
            }
            flow = adam.step(flow, gradient: g, learningRate: learningRate)
        }
        let last = try FlowField.warp(images, flow: flow).scalars
        for i in 0..<n where bestFlow[i] == .infinity {
            best.replaceSubrange((i * per)..<((i + 1) * per), with: last[(i * per)..<((i + 1) * per)])
        }
        return try AttackResult(model: model, adversarial: Tensor(best, shape: images.shape), labels: labels, targets: targets,
                                lossHistory: history)
    }
}
