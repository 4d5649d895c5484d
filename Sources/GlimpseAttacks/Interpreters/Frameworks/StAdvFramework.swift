import GlimpseCore

/// The StAdv framework of the interpreter attacks, as AdvEdge's `Stadv_*_attack` notebooks build it on Xiao et al.,
/// "Spatially Transformed Adversarial Examples" (ICLR 2018).
///
/// No pixel-norm ball: the image is `x = b + s⊙(warp(b, f) − b)` for a flow field f (`FlowField`) over a base image
/// b (the clean image), s the edge weighting (AdvEdge: E, AdvEdge+: 1[E > threshold], ADV²: 1). Adam (AMSGrad) on f
/// from f ~ U(−`initialFlow`, `initialFlow`) pixels (seeded). Stage 1: `CE(f(x), y_t) + τ·L_flow(f)`; stage 2, with the
/// schedule's c: `ℓ_prd + c·ℓ_int + τ·L_flow(f)`. When the edge weighting stops after stage 1
/// (`edgeStages: .warmStart`), stage 2 warps the stage-1 image with a fresh zero flow, so x does not jump.
/// Selection as in the PGD framework. Defaults (the notebooks'): τ = 5e-4, Adam lr 0.01, initial flow 0.1.
extension InterpreterAttack {
    public struct StAdvOptions: Sendable, Equatable {
        /// τ, the weight of the flow smoothness loss.
        public var flowWeight: Float = 5e-4
        /// Adam's learning rate on the flow (pixels).
        public var learningRate: Float = 0.01
        /// Half-width of the uniform initial flow, in pixels.
        public var initialFlow: Float = 0.1

        public init() {}

        func validate() throws {
            try AttackSupport.require("StAdv flow weight", flowWeight, in: 0...1e6)
            try AttackSupport.require("StAdv learning rate", learningRate, in: 1e-8...10)
            try AttackSupport.require("StAdv initial flow", initialFlow, in: 0...10)
        }
    }
}

extension InterpreterAttack.Run {
    mutating func spatial() throws -> Tensor {
        let options = attack.stadv
        var base = images
        var flow = FlowField.initial(for: images, range: options.initialFlow, rng: &rng)
        var adam = AdamState(count: flow.count, amsgrad: true)
        for _ in 0..<attack.warmStartSteps {
            let x = try warped(base, flow, edgeMask)
            let (g, loss, _) = try AttackSupport.lossGradient(model, x, labels: targets, targets: targets)
            try update(&flow, &adam, base: base, upstream: g, mask: edgeMask, loss: loss)
        }
        var x = try warped(base, flow, edgeMask)
        warmStart = x
        let mask = stage2Mask
        if mask == nil, edgeMask != nil {
            base = x
            flow = Tensor(zeros: flow.shape)
            adam = AdamState(count: flow.count, amsgrad: true)
        }
        for c in attack.jointSchedule {
            x = try warped(base, flow, mask)
            let (g, loss) = try jointGradient(x, c: c)
            try update(&flow, &adam, base: base, upstream: g, mask: mask, loss: loss)
            x = try warped(base, flow, mask)
            try consider(x)
        }
        return try finish(x)
    }

    /// `b + s⊙(warp(b, f) − b)`, or `warp(b, f)` without weighting.
    private func warped(_ base: Tensor, _ flow: Tensor, _ mask: Tensor?) throws -> Tensor {
        let w = try FlowField.warp(base, flow: flow)
        guard let mask else { return w }
        return try withoutGradient { try base + mask * (w - base) }
    }

    /// One Adam step on the flow for ∂loss/∂x = `upstream`, adding τ·L_flow; records the step.
    private mutating func update(_ flow: inout Tensor, _ adam: inout AdamState, base: Tensor, upstream: Tensor, mask: Tensor?,
                                 loss: Float) throws {
        let tau = attack.stadv.flowWeight
        let (gs, smoothness) = try FlowField.smoothnessGradient(flow)
        let g = try withoutGradient {
            try FlowField.flowGradient(base, flow: flow, upstream: mask.map { try upstream * $0 } ?? upstream) + gs * tau
        }
        flow = adam.step(flow, gradient: g, learningRate: attack.stadv.learningRate)
        stepDone(loss + tau * smoothness.reduce(0, +))
    }
}
