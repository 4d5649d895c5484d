import Foundation
import GlimpseCore
import GlimpseModels
import GlimpseSaliency

/// MASK, "meaningful perturbation" (Fong & Vedaldi, ICCV 2017), attacked as ADV² does (Zhang et al., USENIX Security
/// 2020, `attack_mask_multistep_benign.py`): as a bilevel problem, by unrolling the mask optimiser.
///
/// Inner problem, per image: the mask m ∈ [0, 1]^{h×w} (h = H/`maskScale`, 1 keeps a pixel) minimises
/// `λ₁·Σ|1 − m| + λ₂·TV_β(m) + p_y(Φ(x, m))`, Φ = M⊙x + (1 − M)⊙blur(x) in the model's normalised space, M the
/// nearest-upsampled, blurred m (`MeaningfulPerturbation`'s settings and upsampling, no jitter; TV with ADV²'s 1e-8), by Adam (lr 0.1,
/// clamping to [0, 1] after each step; the denominator is √(v̂ + 1e-16) + 1e-8 so that its derivative stays finite).
/// The map is 1 − m on the h×w grid (high = had to be deleted = salient), not normalised.
///
/// The exact map (`map`) solves from m = 1 for `solver.iterations` steps. During an attack the interpreter keeps its
/// mask and Adam state between steps (ADV²'s loop): each attack step runs `warmSteps` Adam steps without a graph,
/// then `unrolledSteps` steps whose updates are recorded — the gradient ∂ℓ/∂m is taken with `createGraph`, so the
/// final mask is differentiable in x through every unrolled Adam step (a second-order path through the classifier).
/// The state is solved from scratch at the first attack step and every `resolveEvery` steps (ADV²: every 50).
///
/// Departures from ADV²: the interpretation loss uses the last unrolled mask (ADV² averages ‖m_j − m0‖² over the
/// unrolled steps), and the outer loop is the framework's (PGD: sign steps with c·ℓ_int) instead of ADV²'s
/// L2-normalised step with a binary search on its size; the re-solve runs on the current, not the 8-bit, image.
/// Defaults: ADV²'s 4 + 4 inner steps, re-solve every 50 steps with 300 iterations.
public final class MaskInterpreter: AttackableInterpreter {
    public let name = "mask"
    /// The mask problem's settings (iterations of an exact solve, learning rate, λ₁, λ₂, β, scale, blurs).
    public var solver: MeaningfulPerturbation
    public var warmSteps: Int
    public var unrolledSteps: Int
    public var resolveEvery: Int

    private var state: State?
    private var calls = 0

    public init(solver: MeaningfulPerturbation = MeaningfulPerturbation(), warmSteps: Int = 4, unrolledSteps: Int = 4,
                resolveEvery: Int = 50) {
        self.solver = solver
        self.warmSteps = warmSteps
        self.unrolledSteps = unrolledSteps
        self.resolveEvery = resolveEvery
    }

    public var lossReduction: MapLossReduction { .mean }

    /// The `quick` preset's cheaper schedule: 100 iterations per solve, re-solved every 30 attack steps.
    public func useQuickSchedule() {
        solver.iterations = 100
        resolveEvery = 30
    }

    public func attackWillStart() {
        state = nil
        calls = 0
    }

    public func attackTerms(_ model: any Classifier, _ x: Tensor, classes: [Int]) throws -> (map: Tensor, logits: Tensor) {
        try check(model, x, classes)
        let logits = try model.run(x).logits
        let fixed = x.detached()
        if state?.classes != classes || state?.adam.moment.shape[0] != x.shape[0] || calls % resolveEvery == 0 {
            state = try solve(model, fixed, classes: classes, steps: solver.iterations)
        }
        calls += 1
        var s = state!
        for _ in 0..<warmSteps { s = try plainStep(model, fixed, s, classes) }
        for _ in 0..<unrolledSteps { s = try s.stepped(by: maskGradient(model, x, s, classes, createGraph: true), solver) }
        state = s.detached()
        return (try (1 - s.mask).reshaped([x.shape[0], s.mask.shape[2], s.mask.shape[3]]), logits)
    }

    public func map(_ model: any Classifier, _ x: Tensor, classes: [Int]) throws -> Tensor {
        try check(model, x, classes)
        let s = try solve(model, x.detached(), classes: classes, steps: solver.iterations)
        return try withoutGradient { try (1 - s.mask).reshaped([x.shape[0], s.mask.shape[2], s.mask.shape[3]]) }
    }

    private func check(_ model: any Classifier, _ x: Tensor, _ classes: [Int]) throws {
        try InterpreterSupport.check(model, x, classes: classes)
        let scale = solver.maskScale
        guard scale >= 1, x.shape[2] % scale == 0, x.shape[3] % scale == 0, solver.iterations >= 0, warmSteps >= 0,
              unrolledSteps >= 1, resolveEvery >= 1 else {
            throw AttackError.badParameter("the mask interpreter needs a mask scale dividing \(x.shape[2])×\(x.shape[3]), iterations ≥ 0, warm steps ≥ 0, unrolled steps ≥ 1 and resolveEvery ≥ 1")
        }
        guard solver.learningRate.isFinite, solver.learningRate > 0, solver.nullBlur > 0, solver.maskBlur > 0 else {
            throw AttackError.badParameter("the mask interpreter needs a positive learning rate and blurs")
        }
    }

    /// `steps` Adam steps from m = 1 without a graph.
    private func solve(_ model: any Classifier, _ x: Tensor, classes: [Int], steps: Int) throws -> State {
        let (n, h, w) = (x.shape[0], x.shape[2] / solver.maskScale, x.shape[3] / solver.maskScale)
        var s = State(mask: Tensor(repeating: 1, shape: [n, 1, h, w]), adam: UnrolledAdam(shape: [n, 1, h, w]), classes: classes)
        for _ in 0..<steps { s = try plainStep(model, x, s, classes) }
        return s
    }

    /// One Adam step, nothing recorded.
    private func plainStep(_ model: any Classifier, _ x: Tensor, _ s: State, _ classes: [Int]) throws -> State {
        let g = try maskGradient(model, x, s, classes, createGraph: false)
        return try withoutGradient { try s.stepped(by: g, solver) }
    }

    /// ∂ℓ/∂m of the summed mask objectives at the state's mask; recorded (and differentiable in x) with `createGraph`.
    private func maskGradient(_ model: any Classifier, _ x: Tensor, _ s: State, _ classes: [Int], createGraph: Bool) throws -> Tensor {
        let parameter = createGraph && s.mask.isTracked ? s.mask : s.mask.detached().requiringGradient()
        let image = try model.normalizedInput(x)
        let null = try image.gaussianBlurred(sigma: solver.nullBlur)
        let up = try solver.upsampled(parameter, height: x.shape[2], width: x.shape[3])
        let blended = try image * up + null * (1 - up)
        let logits = try model.run(model.imageFromNormalized(blended)).logits
        let p = try logits.softmax(axis: 1).picking(classes).sum()
        let objective = try p + solver.l1Lambda * (1 - parameter).abs().sum() + solver.tvLambda * totalVariation(parameter)
        return try gradient(of: objective, wrt: [parameter], createGraph: createGraph)[0]
    }

    /// ADV²'s TV_β = Σ_u (d₁(u)² + d₂(u)² + 1e-8)^{β/2} (forward differences) over masks [N, 1, h, w]; the 1e-8 keeps
    /// the second derivative finite where neighbours are equal (clamped masks), which the unrolled steps need.
    private func totalVariation(_ m: Tensor) throws -> Tensor {
        let (h, w) = (m.shape[2], m.shape[3])
        guard h > 1, w > 1 else { return Tensor(scalar: 0) }
        let inner = try m.sliced(axis: 2, 0..<(h - 1)).sliced(axis: 3, 0..<(w - 1))
        let down = try m.sliced(axis: 2, 1..<h).sliced(axis: 3, 0..<(w - 1)) - inner
        let right = try m.sliced(axis: 2, 0..<(h - 1)).sliced(axis: 3, 1..<w) - inner
        return try (down.squared() + right.squared() + 1e-8).pow(solver.tvBeta / 2).sum()
    }

    /// The inner optimiser's state for a batch.
    struct State {
        var mask: Tensor
        var adam: UnrolledAdam
        let classes: [Int]

        /// The state after one Adam step with gradient g, the mask clamped to [0, 1] (recorded when g or m are).
        func stepped(by g: Tensor, _ solver: MeaningfulPerturbation) throws -> State {
            var adam = adam
            let update = try adam.update(g)
            return State(mask: try (mask - update * solver.learningRate).clamped(0, 1), adam: adam, classes: classes)
        }

        func detached() -> State { State(mask: mask.detached(), adam: adam.detached(), classes: classes) }
    }
}

/// Adam's moments as tensors, so that an update can be recorded and differentiated (β = 0.9, 0.999).
struct UnrolledAdam {
    var moment: Tensor
    var second: Tensor
    var t = 0

    init(shape: [Int]) {
        moment = Tensor(zeros: shape)
        second = Tensor(zeros: shape)
    }

    /// Advances the moments with g and returns the bias-corrected step direction m̂ / (√(v̂ + 1e-16) + 1e-8).
    mutating func update(_ g: Tensor) throws -> Tensor {
        t += 1
        moment = try moment * 0.9 + g * 0.1
        second = try second * 0.999 + g.squared() * 0.001
        let c1 = 1 - Float(powf(0.9, Float(t))), c2 = 1 - Float(powf(0.999, Float(t)))
        return try (moment * (1 / c1)) / ((second * (1 / c2) + 1e-16).sqrt() + 1e-8)
    }

    func detached() -> UnrolledAdam {
        var a = self
        a.moment = moment.detached()
        a.second = second.detached()
        return a
    }
}
