import Foundation
import GlimpseCore

/// The C&W framework of the interpreter attacks, as AdvEdge's `C&W_*_attack` notebooks build it on Carlini & Wagner
/// ("Towards Evaluating the Robustness of Neural Networks", IEEE S&P 2017).
///
/// Norm: L2 penalty, no ball. The image is `x = x0 + s⊙(½(tanh w + 1) − x0)` with s the edge weighting (AdvEdge:
/// E, AdvEdge+: 1[E > threshold], ADV²: 1), so x stays in [0, 1]; w starts at atanh(2x0 − 1) and Adam (AMSGrad)
/// updates it. Stage 1: `Σ‖x − x0‖² + c₁·Σ max(max_{j≠t} z_j − z_t, −κ)`. Stage 2, with the schedule's c:
/// `λ·ℓ_prd + c·ℓ_int + Σ‖x − x0‖²`. When the edge weighting stops after stage 1 (`edgeStages: .warmStart`), stage 2
/// restarts w at atanh(2x − 1) of the stage-1 image, so x does not jump. Best iterate: every `bestEvery` stage-2
/// steps, the iterate with p(y_t) > `confidence` and the closest exact map (the notebooks use 0.75).
/// Defaults (the notebooks'): c₁ = 1e-4, κ = 0, Adam lr 0.01, λ = 2; schedules in `InterpreterAttack.preset`.
extension InterpreterAttack {
    public struct CWOptions: Sendable, Equatable {
        /// c₁, the weight of the margin term in stage 1.
        public var warmStartC: Float = 1e-4
        /// κ of the margin.
        public var kappa: Float = 0
        /// Adam's learning rate in tanh space.
        public var learningRate: Float = 0.01
        /// λ, the weight of the prediction loss in stage 2.
        public var predictionWeight: Float = 2

        public init() {}

        func validate() throws {
            try AttackSupport.require("C&W warm-start c", warmStartC, in: 0...1e6)
            try AttackSupport.require("C&W kappa", kappa, in: 0...1e6)
            try AttackSupport.require("C&W learning rate", learningRate, in: 1e-8...10)
            try AttackSupport.require("C&W prediction weight", predictionWeight, in: 0...1e6)
        }
    }
}

extension InterpreterAttack.Run {
    mutating func carliniWagner() throws -> Tensor {
        let options = attack.cw
        let oneHot = CWMargin.oneHot(targets, classes: model.classCount)
        var w = CWMargin.tanhSpace(images)
        var adam = AdamState(count: images.count, amsgrad: true)
        for _ in 0..<attack.warmStartSteps {
            let tracked = try image(w, mask: edgeMask).requiringGradient()
            let logits = try model.run(tracked).logits
            let margin = try CWMargin.loss(logits, oneHot: oneHot, targeted: true, kappa: options.kappa).sum() * options.warmStartC
            let g = try gradient(of: margin, wrt: [tracked])[0]
            let (gw, l2) = try chain(g, x: tracked.detached(), w: w, mask: edgeMask)
            w = adam.step(w, gradient: gw, learningRate: options.learningRate)
            stepDone(margin.scalar + l2)
        }
        var x = try image(w, mask: edgeMask)
        warmStart = x
        let mask = stage2Mask
        if mask == nil, edgeMask != nil {
            w = CWMargin.tanhSpace(x)
            adam = AdamState(count: images.count, amsgrad: true)
        }
        for c in attack.jointSchedule {
            x = try image(w, mask: mask)
            let (g, loss) = try jointGradient(x, c: c, predictionWeight: options.predictionWeight)
            let (gw, l2) = try chain(g, x: x, w: w, mask: mask)
            w = adam.step(w, gradient: gw, learningRate: options.learningRate)
            stepDone(loss + l2)
            x = try image(w, mask: mask)
            try consider(x)
        }
        return try finish(x)
    }

    /// `x0 + s⊙(½(tanh w + 1) − x0)`, or `½(tanh w + 1)` without weighting.
    private func image(_ w: Tensor, mask: Tensor?) throws -> Tensor {
        let t = AttackSupport.map(w) { 0.5 * (Foundation.tanh($0) + 1) }
        guard let mask else { return t }
        return try withoutGradient { try images + mask * (t - images) }
    }

    /// ∂/∂w of (loss + Σ‖x − x0‖²) from g = ∂loss/∂x, and the penalty Σ‖x − x0‖².
    private func chain(_ g: Tensor, x: Tensor, w: Tensor, mask: Tensor?) throws -> (Tensor, Float) {
        let total = AttackSupport.zip3(g, AttackSupport.zip3(x, images) { 2 * ($0 - $1) }) { $0 + $1 }
        let l2 = AttackSupport.zip3(x, images) { ($0 - $1) * ($0 - $1) }.scalars.reduce(0, +)
        var dw = AttackSupport.zip3(total, w) { d, v in let t = Foundation.tanh(v); return d * 0.5 * (1 - t * t) }
        if let mask { dw = AttackSupport.zip3(dw, mask) { $0 * $1 } }
        return (dw, l2)
    }
}
