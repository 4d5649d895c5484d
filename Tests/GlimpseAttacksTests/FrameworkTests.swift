import GlimpseAttacks
import GlimpseCore
import Testing

/// The flow field of StAdv: warping, its gradient with respect to the flow, the smoothness loss.
@Suite struct FlowFieldTests {
    @Test func zeroAndIntegerFlowsMovePixels() throws {
        var rng = SeededRNG(seed: 1)
        let x = Tensor.uniform([2, 3, 6, 7], rng: &rng)
        #expect(try FlowField.warp(x, flow: Tensor(zeros: [2, 2, 6, 7])).scalars == x.scalars)
        // Row flow +1: output row i reads source row i + 1 (the last row is clamped to itself).
        var shift = [Float](repeating: 0, count: 2 * 2 * 42)
        for b in 0..<2 { for p in 0..<42 { shift[b * 84 + p] = 1 } }
        let y = try FlowField.warp(x, flow: Tensor(shift, shape: [2, 2, 6, 7]))
        for b in 0..<2 { for c in 0..<3 { for i in 0..<6 { for j in 0..<7 {
            #expect(y[b, c, i, j] == x[b, c, min(i + 1, 5), j])
        } } } }
        #expect(throws: AttackError.self) { try FlowField.warp(x, flow: Tensor(zeros: [2, 2, 6, 6])) }
        #expect(throws: AttackError.self) { try FlowField.warp(x, flow: Tensor(repeating: .nan, shape: [2, 2, 6, 7])) }
    }

    /// ∂(Σ R ⊙ warp(x, f))/∂f against central differences; sampling points are kept 0.1 away from the integer grid
    /// (where bilinear sampling has kinks), some of them beyond the border (clamped: zero derivative).
    @Test func flowGradientMatchesFiniteDifferences() throws {
        var rng = SeededRNG(seed: 2)
        let (n, c, h, w) = (2, 3, 5, 6)
        let x = Tensor.uniform([n, c, h, w], rng: &rng)
        let r = Tensor.normal([n, c, h, w], rng: &rng)
        let flow = Tensor.uniform([n, 2, h, w], low: -1.6, high: 1.6, rng: &rng)
        let f = flow.scalars.map { v -> Float in
            let frac = v - v.rounded(.down)
            return frac < 0.1 ? v + 0.15 : (frac > 0.9 ? v - 0.15 : v)
        }
        let safe = try Tensor(f, shape: flow.shape)
        func objective(_ v: Tensor) throws -> Double {
            Double(zip(try FlowField.warp(x, flow: v).scalars, r.scalars).reduce(Float(0)) { $0 + $1.0 * $1.1 })
        }
        let analytic = try FlowField.flowGradient(x, flow: safe, upstream: r).scalars
        #expect(analytic.contains { abs($0) > 1e-2 } && analytic.contains { $0 == 0 }, "some points move, some are clamped")
        var worst = 0.0
        for i in 0..<safe.count {
            let numeric = try centralDifference(at: safe, index: i, objective)
            worst = max(worst, abs(numeric - Double(analytic[i])) / (1e-3 + 1e-2 * abs(numeric)))
        }
        #expect(worst <= 1, "flow gradient differs from finite differences (normalised error \(worst))")
        #expect(throws: AttackError.self) { try FlowField.flowGradient(x, flow: safe, upstream: Tensor(zeros: [1, 3, 5, 6])) }
    }

    @Test func smoothnessLossGradientMatchesFiniteDifferences() throws {
        var rng = SeededRNG(seed: 3)
        let flow = Tensor.normal([1, 2, 4, 5], std: 0.5, rng: &rng)
        // A constant flow is perfectly smooth (only the 1e-8 floor remains).
        #expect(try FlowField.smoothnessLoss(Tensor(repeating: 0.3, shape: [1, 2, 4, 5])).scalar < 1e-2)
        let tracked = flow.requiringGradient()
        let g = try gradient(of: FlowField.smoothnessLoss(tracked), wrt: [tracked])[0].scalars
        for i in 0..<flow.count {
            let numeric = try centralDifference(at: flow, index: i) { Double(try FlowField.smoothnessLoss($0).scalar) }
            #expect(abs(numeric - Double(g[i])) <= 5e-3 + 1e-2 * abs(numeric), "entry \(i): \(g[i]) vs \(numeric)")
        }
        #expect(throws: AttackError.self) { try FlowField.smoothnessLoss(Tensor(zeros: [1, 3, 4, 5])) }
    }
}

/// StAdv as a classifier attack on the toy CNN.
@Suite struct StAdvTests {
    let model = ToyCNN(seed: 11)

    @Test func stAdvFoolsTheToyModelWithSmoothFlows() throws {
        let (x, y) = try toyBatch(model)
        // τ = 0.01: the paper's 0.05 outweighs the margin of this small random network.
        let attack = StAdv(tau: 0.01, steps: 60, learningRate: 0.05, seed: 4)
        let r = try attack.attack(model, images: x, labels: y)
        #expect(r.success.filter { $0 }.count >= 6, "success \(r.success)")
        #expect(inUnitRange(r.adversarial))
        let again = try attack.attack(model, images: x, labels: y)
        #expect(again.adversarial.scalars == r.adversarial.scalars, "same seed, same output")
        // Each image is a warp of the clean one: pixel values stay within the clean image's range.
        let lo = x.scalars.min()!, hi = x.scalars.max()!
        #expect(r.adversarial.scalars.allSatisfy { $0 >= lo - 1e-6 && $0 <= hi + 1e-6 })
        let targeted = try StAdv(tau: 0.01, steps: 60, learningRate: 0.05, goal: .randomTarget, seed: 4).attack(model, images: x, labels: y)
        #expect(targeted.success.filter { $0 }.count >= 4, "targeted success \(targeted.success)")
        #expect(throws: AttackError.self) { try StAdv(tau: -1).attack(self.model, images: x, labels: y) }
        #expect(throws: AttackError.self) { try StAdv(steps: 0).attack(self.model, images: x, labels: y) }
    }
}

/// The C&W and StAdv frameworks of the interpreter attacks on the toy CNN, each against the same framework with
/// c = 0 and no best-iterate selection (the plain attack with the same steps).
@Suite struct InterpreterFrameworkTests {
    let model = ToyCNN(seed: 11)

    func pair(_ framework: AttackFramework, c: Float = 5, configure: (inout InterpreterAttack) -> Void) throws
        -> (plain: InterpreterAttackResult, joint: InterpreterAttackResult, x: Tensor) {
        let (x, y) = try toyBatch(model)
        var joint = InterpreterAttack(interpreter: CAMInterpreter())
        joint.framework = framework
        joint.warmStartSteps = 30
        joint.stages = [.init(steps: 40, cStart: c, cEnd: 2 * c)]
        joint.seed = 3
        configure(&joint)
        var plain = joint
        plain.stages = [.init(steps: 40, c: 0)]
        plain.bestEvery = nil
        return (try plain.attack(model, images: x, labels: y), try joint.attack(model, images: x, labels: y), x)
    }

    func expectCloser(_ p: (plain: InterpreterAttackResult, joint: InterpreterAttackResult, x: Tensor), _ what: String) {
        let (a, b) = (p.plain, p.joint)
        #expect(a.result.targets == b.result.targets)
        let both = (0..<8).filter { a.result.success[$0] && b.result.success[$0] }
        #expect(b.result.success.filter { $0 }.count >= 6, "\(what) success \(b.result.success)")
        let da = mapDistance(a.adversarialMaps, a.cleanMaps, both), db = mapDistance(b.adversarialMaps, b.cleanMaps, both)
        print("\(what): map L2 joint \(db), plain \(da) over \(both.count) images")
        #expect(both.count >= 5 && db < 0.7 * da, "\(what): map distance \(db) vs plain \(da) over \(both.count) images")
        #expect(inUnitRange(b.result.adversarial))
    }

    @Test func carliniWagnerFrameworkKeepsTheMapCloser() throws {
        // Without an L∞ ball, 2·CE keeps pulling after success; on this 8×8 CAM c is raised tenfold (50 → 100).
        let p = try pair(.cw, c: 50) { a in
            a.cw.warmStartC = 1
            a.cw.learningRate = 0.05
            a.bestEvery = 5
            a.confidence = 0.75
        }
        expectCloser(p, "ADV² C&W")
    }

    @Test func stAdvFrameworkKeepsTheMapCloser() throws {
        let p = try pair(.stadv) { a in a.stadv.learningRate = 0.05 }
        expectCloser(p, "ADV² StAdv")
        // No pixel leaves the clean image's range: the images are warps.
        let lo = p.x.scalars.min()!, hi = p.x.scalars.max()!
        #expect(p.joint.result.adversarial.scalars.allSatisfy { $0 >= lo - 1e-6 && $0 <= hi + 1e-6 })
    }

    /// AdvEdge+ in the C&W and StAdv frameworks: with edges in every step, δ = 0 exactly off the edges; with edges in
    /// the warm start only, δ = 0 there after stage 1 and not after stage 2. AdvEdge (soft) weights δ by E.
    @Test func edgeWeightingInCWAndStAdv() throws {
        let (x, y) = try blockBatch(model, n: 2)
        let e = try EdgeWeighting.sobel(x).scalars
        let off = e.indices.filter { e[$0] <= 0.1 }
        #expect(off.count > 20 && off.count < e.count - 20)
        func offEdgeZero(_ t: Tensor) -> Bool {
            let d = zip(t.scalars, x.scalars).map { $0 - $1 }
            return off.allSatisfy { k in
                let (i, p) = (k / 256, k % 256)
                return (0..<3).allSatisfy { d[(i * 3 + $0) * 256 + p] == 0 }
            }
        }
        for framework in [AttackFramework.cw, .stadv] {
            for stages in EdgeStages.allCases {
                var a = InterpreterAttack.preset(.quick, method: .advedgePlus, interpreter: CAMInterpreter(), framework: framework)
                a.warmStartSteps = 5
                a.stages = [.init(steps: 5, cStart: 5, cEnd: 10)]
                a.edgeStages = stages
                a.bestEvery = nil
                a.cw.warmStartC = 1
                let r = try a.attack(model, images: x, labels: y)
                #expect(offEdgeZero(r.warmStart), "\(framework) stage 1")
                #expect(r.warmStart.scalars != x.scalars)
                #expect(offEdgeZero(r.result.adversarial) == (stages == .all), "\(framework) edges in \(stages.rawValue)")
            }
            var soft = InterpreterAttack.preset(.quick, method: .advedge, interpreter: CAMInterpreter(), framework: framework)
            soft.warmStartSteps = 5
            soft.stages = []
            soft.cw.warmStartC = 1
            let r = try soft.attack(model, images: x, labels: y)
            // |δ| ≤ E·|full change| ≤ E pixel-wise: zero where E is zero, small where E is small.
            let d = zip(r.warmStart.scalars, x.scalars).map { abs($0 - $1) }
            for k in e.indices {
                let (i, p) = (k / 256, k % 256)
                for ch in 0..<3 { #expect(d[(i * 3 + ch) * 256 + p] <= e[k] + 1e-6) }
            }
        }
    }

    @Test func frameworkOptionErrors() throws {
        let (x, y) = try toyBatch(model)
        var a = InterpreterAttack(interpreter: CAMInterpreter())
        a.framework = .cw
        a.cw.learningRate = 0
        #expect(throws: AttackError.self) { try a.attack(self.model, images: x, labels: y) }
        a.cw = .init()
        a.framework = .stadv
        a.stadv.flowWeight = .nan
        #expect(throws: AttackError.self) { try a.attack(self.model, images: x, labels: y) }
    }
}

/// Seeded piecewise-constant images [n, 3, 16, 16] (4×4 blocks) with flat regions and edges, labelled by the model.
func blockBatch(_ model: ToyCNN, n: Int, seed: UInt64 = 6) throws -> (Tensor, [Int]) {
    var rng = SeededRNG(seed: seed)
    let blocks = Tensor.uniform([n, 3, 4, 4], rng: &rng).scalars
    let x = Tensor(shape: [n, 3, 16, 16]) { p, count in
        for k in 0..<count {
            let (plane, pixel) = (k / 256, k % 256)
            p[k] = blocks[plane * 16 + (pixel / 16 / 4) * 4 + (pixel % 16) / 4]
        }
    }
    return (x, Prediction.argmax(try model.logits(x)))
}
