import Foundation
import GlimpseCore
import GlimpseModels

/// Carlini & Wagner L2 attack — Carlini & Wagner, "Towards Evaluating the Robustness of Neural Networks",
/// IEEE S&P 2017 (single-c variant as in torchattacks `CW`).
///
/// Norm: L2 (no hard ball). Variable change `x = ½(tanh w + 1)`; Adam on
/// `Σ‖x − x0‖² + c·Σ f(x)` with `f = max(max_{j≠t} Z_j − Z_t, −κ)` (targeted) or `max(Z_y − max_{j≠y} Z_j, −κ)`;
/// keeps, per image, the successful iterate of smallest L2 (the clean image if none succeeds); stops early when
/// the cost has not decreased over the last `steps/10` steps. Unlike torchattacks, `max_{j≠t}` excludes the
/// class properly (torchattacks zeroes its logit, which is wrong when all other logits are negative).
/// Defaults as torchattacks: c = 1, κ = 0, 50 steps, learning rate 0.01.
public struct CarliniWagnerL2: ClassifierAttack {
    public let name = "cw"
    public var c: Float
    public var kappa: Float
    public var steps: Int
    public var learningRate: Float
    public var goal: AttackGoal
    public var seed: UInt64

    public init(c: Float = 1, kappa: Float = 0, steps: Int = 50, learningRate: Float = 0.01,
                goal: AttackGoal = .untargeted, seed: UInt64 = 0) {
        self.c = c
        self.kappa = kappa
        self.steps = steps
        self.learningRate = learningRate
        self.goal = goal
        self.seed = seed
    }

    public func attack(_ model: any Classifier, images: Tensor, labels: [Int]) throws -> AttackResult {
        try AttackSupport.require("c", c, in: 0...1e6)
        try AttackSupport.require("kappa", kappa, in: 0...1e6)
        try AttackSupport.require("learningRate", learningRate, in: 1e-8...10)
        try AttackSupport.requireSteps("steps", steps)
        try AttackSupport.check(model, images, labels)
        var rng = SeededRNG(seed: seed)
        let targets = try AttackSupport.targets(goal, model: model, images: images, labels: labels, rng: &rng)
        let n = images.shape[0], per = images.count / n
        let classes = model.classCount
        let oneHot = CWMargin.oneHot(targets ?? labels, classes: classes)
        var w = CWMargin.tanhSpace(images)
        var adam = AdamState(count: images.count)
        var best = images.scalars
        var bestL2 = [Float](repeating: .infinity, count: n)
        var history: [Float] = []
        var previousCost = Float.infinity
        let checkEvery = Swift.max(steps / 10, 1)
        for step in 0..<steps {
            let tracked = w.requiringGradient()
            let adv = try (tracked.tanh() + 1) * 0.5
            let perImageL2 = try (adv - images).squared().reshaped([n, per]).sum(axes: [1])
            let logits = try model.run(adv).logits
            let margin = try CWMargin.loss(logits, oneHot: oneHot, targeted: targets != nil, kappa: kappa)
            let cost = try perImageL2.sum() + margin.sum() * c
            let g = try gradient(of: cost, wrt: [tracked])[0]
            history.append(cost.scalar)
            // Success and best-L2 bookkeeping on the iterate that was just evaluated.
            let ok = Prediction.success(logits: logits.detached(), labels: labels, targets: targets)
            let l2 = perImageL2.scalars, values = adv.scalars
            for i in 0..<n where ok[i] && l2[i] < bestL2[i] {
                bestL2[i] = l2[i]
                best.replaceSubrange((i * per)..<((i + 1) * per), with: values[(i * per)..<((i + 1) * per)])
            }
            w = adam.step(w, gradient: g, learningRate: learningRate)
            if step % checkEvery == 0 {
                if cost.scalar > previousCost { break }
                previousCost = cost.scalar
            }
        }
        let adversarial = try Tensor(best, shape: images.shape)
        return try AttackResult(model: model, adversarial: adversarial, labels: labels, targets: targets, lossHistory: history)
    }

}

/// C&W's margin loss and change of variables, shared by the C&W attacks.
enum CWMargin {
    /// Per-image `max(max_{j≠t} Z_j − Z_t, −κ)` (targeted) or `max(Z_y − max_{j≠y} Z_j, −κ)`, [N].
    static func loss(_ logits: Tensor, oneHot: Tensor, targeted: Bool, kappa: Float) throws -> Tensor {
        let goal = try (logits * oneHot).sum(axes: [1])
        let others = try (logits - oneHot * 1e9).max(axes: [1])
        let gap = targeted ? try others - goal : try goal - others
        return try (gap + kappa).relu() - kappa
    }

    /// One-hot rows [N, classes] of `classes`.
    static func oneHot(_ picked: [Int], classes: Int) -> Tensor {
        Tensor(shape: [picked.count, classes]) { p, count in
            for k in 0..<count { p[k] = 0 }
            for (i, c) in picked.enumerated() { p[i * classes + c] = 1 }
        }
    }

    /// w = atanh(2x − 1), x clamped 1e-6 inside (0, 1): the tanh-space point of images x.
    static func tanhSpace(_ x: Tensor) -> Tensor {
        AttackSupport.map(x) { v in atanh(Swift.min(Swift.max(2 * v - 1, -1 + 1e-6), 1 - 1e-6)) }
    }
}

/// Adam (Kingma & Ba 2015) on one flat parameter tensor: β = (0.9, 0.999), ε = 1e-8, bias-corrected; with
/// `amsgrad` (Reddi et al. 2018, as PyTorch) the running maximum of v̂'s raw average is used.
struct AdamState {
    private var m: [Float], v: [Float], vMax: [Float]
    private var t = 0
    let amsgrad: Bool

    init(count: Int, amsgrad: Bool = false) {
        m = [Float](repeating: 0, count: count)
        v = [Float](repeating: 0, count: count)
        vMax = amsgrad ? v : []
        self.amsgrad = amsgrad
    }

    /// The parameters after one update with `gradient` (a descent step).
    mutating func step(_ p: Tensor, gradient g: Tensor, learningRate lr: Float) -> Tensor {
        t += 1
        let c1 = 1 - Float(pow(0.9, Double(t))), c2 = 1 - Float(pow(0.999, Double(t)))
        let gv = g.scalars, pv = p.scalars
        return Tensor(shape: p.shape) { out, n in
            for i in 0..<n {
                m[i] = 0.9 * m[i] + 0.1 * gv[i]
                v[i] = 0.999 * v[i] + 0.001 * gv[i] * gv[i]
                var second = v[i]
                if amsgrad {
                    vMax[i] = Swift.max(vMax[i], v[i])
                    second = vMax[i]
                }
                out[i] = pv[i] - lr * (m[i] / c1) / ((second / c2).squareRoot() + 1e-8)
            }
        }
    }
}
