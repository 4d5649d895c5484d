import GlimpseAttacks
import GlimpseCore
import GlimpseModels
import Testing

/// conv 3→4, then the antiderivative of ADV²'s surrogate as activation, conv 4→4, global pool, linear 4→3.
/// The activation S(z) = H(z) − H(z − 6) with H(z) = √(z² + τ) + min(z, 0) is built from elementary ops, so its
/// true derivative is exactly the surrogate h(z) − h(z − 6) that `.smooth(tau:)` puts in ReLU6's backward pass.
/// Glimpse, like ADV²'s code, also uses h when the outer backward crosses a forward ReLU (the softmax of the CE
/// depends on x), which no finite difference of the ReLU network can check; on this network the whole double
/// backward of the Grad interpreter has a finite-difference reference.
final class SurrogateNet: Classifier {
    let name = "surrogate-net", inputSize = 8, inputChannels = 3, classCount = 3, minimumInputSize = 4
    let layerPaths = ["conv1", "conv2", "fc"]
    let defaultCAMLayer = "conv2"
    let w1: Tensor, w2: Tensor, fc: Tensor
    let tau: Float

    init(seed: UInt64, tau: Float) {
        var rng = SeededRNG(seed: seed)
        w1 = Tensor.normal([4, 3, 3, 3], std: 0.7, rng: &rng)
        w2 = Tensor.normal([4, 4, 3, 3], std: 0.5, rng: &rng)
        fc = Tensor.normal([3, 4], rng: &rng)
        self.tau = tau
    }

    func preActivation(_ x: Tensor) throws -> Tensor { try Tensor.conv2d(x, filter: w1, options: .init(stride: 1, padding: 1)) }
    func antiderivative(_ z: Tensor) throws -> Tensor { try (z.squared() + tau).sqrt() + (-((-z).relu())) }
    func normalizedInput(_ x: Tensor) throws -> Tensor { x }
    func imageFromNormalized(_ x: Tensor) throws -> Tensor { x }
    func forward(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
        let z = try preActivation(x)
        let h = pass.tap("conv1", try withActivationGradient(.exact) { try antiderivative(z) - antiderivative(z - 6) })
        let g = pass.tap("conv2", try Tensor.conv2d(h, filter: w2, options: .init(stride: 1, padding: 1)))
        return pass.tap("fc", try Tensor.linear(g.globalAvgPool(), weight: fc, bias: nil))
    }
    func parameterCount(of path: String) -> Int { 0 }
    func kind(of path: String) -> String { "" }
}

@Suite struct GradInterpreterGradientTests {
    /// F(x) = Σ R ⊙ GS(x) on the surrogate network (τ = 0.05), GS computed with `createGraph`; its gradient
    /// (double backward through CE, |·|, channel max, pooling and min-max) against central differences. Inputs are
    /// drawn until every pre-activation is 0.02 away from the surrogate's jumps at 0 and 6; the step 1e-3 moves
    /// them far less.
    @Test func gradInterpreterGradientMatchesFiniteDifferences() throws {
        let net = SurrogateNet(seed: 21, tau: 0.05)
        let interpreter = GradInterpreter(pool: 4, tau: 0.05)
        var rng = SeededRNG(seed: 8)
        let r = Tensor.normal([1, 2, 2], rng: &rng)
        var x = Tensor.uniform([1, 3, 8, 8], rng: &rng)
        func clear(_ x: Tensor) throws -> Bool { try net.preActivation(x).scalars.allSatisfy { abs($0) > 0.02 && abs($0 - 6) > 0.02 } }
        var attempts = 0
        while try !clear(x), attempts < 500 { x = Tensor.uniform([1, 3, 8, 8], rng: &rng); attempts += 1 }
        #expect(try clear(x))
        func f(_ x: Tensor) throws -> Tensor { try (interpreter.attackTerms(net, x, classes: [1]).map * r).sum() }
        let tracked = x.requiringGradient()
        let analytic = try gradient(of: f(tracked), wrt: [tracked])[0].scalars
        #expect(analytic.contains { abs($0) > 1e-3 }, "the map's gradient must not vanish")
        var worst = 0.0
        for i in 0..<x.count {
            let numeric = try centralDifference(at: x, index: i) { Double(try f($0.requiringGradient()).scalar) }
            worst = max(worst, abs(numeric - Double(analytic[i])) / (5e-3 + 2e-2 * abs(numeric)))
        }
        #expect(worst <= 1, "Grad interpreter gradient differs from finite differences (normalised error \(worst))")
    }

    @Test func mapsAreNormalisedOnTheirNativeGrids() throws {
        let model = ToyCNN(seed: 11)
        let (x, y) = try toyBatch(model, n: 2)
        let grad = try GradInterpreter().map(model, x, classes: y)
        #expect(grad.shape == [2, 4, 4])
        let cam = try CAMInterpreter().map(model, x, classes: y)
        #expect(cam.shape == [2, 8, 8])
        let gradcam = try CAMInterpreter(.gradcam).map(model, x, classes: y)
        for m in [grad, cam, gradcam] {
            for i in 0..<2 {
                let v = Array(m.scalars[(i * m.count / 2)..<((i + 1) * m.count / 2)])
                #expect(abs(v.min()!) < 1e-6 && abs(v.max()! - 1) < 1e-5, "per-image min-max: \(v.min()!)…\(v.max()!)")
            }
        }
        #expect(!grad.isTracked && !cam.isTracked)
        #expect(throws: AttackError.self) { try GradInterpreter(pool: 3).map(model, x, classes: y) }
        #expect(throws: AttackError.self) { try CAMInterpreter().map(model, x, classes: [0]) }
    }

    /// With the exact rule, the surrogate's map equals the exact map when τ → 0 (first order).
    @Test func smallTauSurrogateGivesTheExactMap() throws {
        let model = ToyCNN(seed: 11)
        let (x, y) = try toyBatch(model, n: 2)
        let exact = try GradInterpreter().map(model, x, classes: y)
        let smooth = try GradInterpreter(tau: 1e-10).attackTerms(model, x.requiringGradient(), classes: y).map
        #expect(maxAbsDiff(exact, smooth) < 1e-3)
    }
}

@Suite struct InterpreterAttackToyTests {
    let model = ToyCNN(seed: 11)

    /// The joint stage must keep the CAM map closer to the clean one than the warm start alone (plain PGD).
    @Test func adv2KeepsTheMapCloserThanPGD() throws {
        let (x, y) = try toyBatch(model)
        var pgd = InterpreterAttack(interpreter: CAMInterpreter())
        pgd.eps = 0.1; pgd.alpha = 0.01; pgd.warmStartSteps = 60; pgd.seed = 3
        var adv2 = pgd
        adv2.warmStartSteps = 30
        adv2.stages = [.init(steps: 30, cStart: 5, cEnd: 10)]
        let a = try pgd.attack(model, images: x, labels: y)
        let b = try adv2.attack(model, images: x, labels: y)
        #expect(a.result.targets == b.result.targets)
        #expect(linfDistance(b.result.adversarial, x) <= 0.1 + 1e-6 && inUnitRange(b.result.adversarial))
        let both = (0..<8).filter { a.result.success[$0] && b.result.success[$0] }
        #expect(both.count >= 4, "PGD \(a.result.success) ADV² \(b.result.success)")
        let da = mapDistance(a.adversarialMaps, a.cleanMaps, both), db = mapDistance(b.adversarialMaps, b.cleanMaps, both)
        #expect(db < 0.7 * da, "map distance ADV² \(db) vs PGD \(da)")
    }

    @Test func interpreterAttackErrors() throws {
        let (x, y) = try toyBatch(model)
        var a = InterpreterAttack(interpreter: CAMInterpreter())
        a.goal = .untargeted
        #expect(throws: AttackError.self) { try a.attack(self.model, images: x, labels: y) }
        a.goal = .randomTarget
        a.edge = .hard(threshold: 2)
        #expect(throws: AttackError.self) { try a.attack(self.model, images: x, labels: y) }
        a.edge = .none
        a.bestEvery = 0
        #expect(throws: AttackError.self) { try a.attack(self.model, images: x, labels: y) }
    }
}

@Suite(.enabled(if: AttackData.hasLite)) struct AdvEdgeLiteTests {
    /// The edge map of the reference input matches scikit-image's (fixture), and AdvEdge+ with warm-start edges
    /// leaves δ = 0 exactly where E ≤ 0.1 after stage 1 (and, with edges in every step, after stage 2 too).
    @Test func advEdgePlusPerturbsOnlyEdgesInTheWarmStart() throws {
        let model = try #require(AttackData.lite)
        let x = try AttackData.chelsea()
        let e = try EdgeWeighting.sobel(x)
        let reference = try AttackData.tensor("sobel_224.npy")
        #expect(maxAbsDiff(e, reference) < 1e-5)
        let label = Prediction.argmax(try model.logits(x))[0]
        for stages in EdgeStages.allCases {
            var a = InterpreterAttack.preset(.quick, method: .advedgePlus, interpreter: CAMInterpreter())
            a.warmStartSteps = 4
            a.stages = [.init(steps: 2, cStart: 5, cEnd: 10)]
            a.edgeStages = stages
            let r = try a.attack(model, images: x, labels: [label])
            let off = e.scalars.indices.filter { e.scalars[$0] <= 0.1 }
            #expect(off.count > 1000 && off.count < 224 * 224 - 1000)
            func offEdge(_ t: Tensor) -> (zero: Bool, moved: Int) {
                let d = zip(t.scalars, x.scalars).map { $0 - $1 }
                let zero = (0..<3).allSatisfy { c in off.allSatisfy { d[c * 224 * 224 + $0] == 0 } }
                return (zero, d.filter { $0 != 0 }.count)
            }
            let warm = offEdge(r.warmStart)
            #expect(warm.zero && warm.moved > 1000, "δ after stage 1 must be zero off the edges and non-zero on them")
            let final = offEdge(r.result.adversarial)
            #expect(final.zero == (stages == .all), "after stage 2 with edges in \(stages.rawValue)")
            #expect(linfDistance(r.result.adversarial, x) <= 0.031 + 1e-6)
        }
    }
}

func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float { zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) } }

/// Mean over `images` of the L2 distance between their maps.
func mapDistance(_ a: Tensor, _ b: Tensor, _ images: [Int]) -> Float {
    let per = a.count / a.shape[0]
    let av = a.scalars, bv = b.scalars
    let d = images.map { i -> Float in
        var s: Float = 0
        for k in (i * per)..<((i + 1) * per) { s += (av[k] - bv[k]) * (av[k] - bv[k]) }
        return s.squareRoot()
    }
    return d.reduce(0, +) / Float(max(d.count, 1))
}
