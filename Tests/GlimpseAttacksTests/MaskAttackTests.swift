import GlimpseAttacks
import GlimpseCore
import GlimpseFormats
import GlimpseModels
import GlimpseSaliency
import Testing

/// The MASK interpreter attacked by unrolling its Adam solver.
@Suite struct MaskInterpreterTests {
    static func smallSolver(iterations: Int, scale: Int) -> MeaningfulPerturbation {
        var s = MeaningfulPerturbation()
        s.iterations = iterations
        s.learningRate = 0.05
        s.maskScale = scale
        s.maskBlur = 0.5
        s.nullBlur = 1
        return s
    }

    /// F(x) = Σ R ⊙ map(x) where the map is the mask after 3 unrolled Adam steps from m = 1 (recorded, `createGraph`
    /// through the classifier; no solve or warm steps, whose state the attack treats as constant): its gradient against
    /// central differences, on the network with a smooth activation (no ReLU kinks).
    @Test func unrolledMaskGradientMatchesFiniteDifferences() throws {
        let net = SurrogateNet(seed: 21, tau: 0.05)
        let mask = MaskInterpreter(solver: Self.smallSolver(iterations: 0, scale: 2), warmSteps: 0, unrolledSteps: 3)
        var rng = SeededRNG(seed: 9)
        let x = Tensor.uniform([1, 3, 8, 8], rng: &rng)
        let r = Tensor.normal([1, 4, 4], rng: &rng)
        func f(_ v: Tensor) throws -> Tensor {
            mask.attackWillStart()
            return try (mask.attackTerms(net, v, classes: [2]).map * r).sum()
        }
        let tracked = x.requiringGradient()
        let analytic = try gradient(of: f(tracked), wrt: [tracked])[0].scalars
        #expect(analytic.contains { abs($0) > 1e-4 }, "the unrolled mask must depend on x")
        var worst = 0.0
        for i in 0..<x.count {
            let numeric = try centralDifference(at: x, index: i) { Double(try f($0).scalar) }
            worst = max(worst, abs(numeric - Double(analytic[i])) / (2e-3 + 3e-2 * abs(numeric)))
        }
        #expect(worst <= 1, "unrolled MASK gradient differs from finite differences (normalised error \(worst))")
    }

    @Test func exactMapAndErrors() throws {
        let model = ToyCNN(seed: 11)
        let (x, y) = try toyBatch(model, n: 2)
        let mask = MaskInterpreter(solver: Self.smallSolver(iterations: 20, scale: 4))
        let m = try mask.map(model, x, classes: y)
        #expect(m.shape == [2, 4, 4] && !m.isTracked && m.scalars.allSatisfy { (0...1).contains($0) })
        #expect(m.scalars.contains { $0 > 0 }, "the solver must delete something")
        #expect(try mask.map(model, x, classes: y).scalars == m.scalars, "deterministic")
        #expect(throws: AttackError.self) { try MaskInterpreter(solver: Self.smallSolver(iterations: 20, scale: 3)).map(model, x, classes: y) }
        #expect(throws: AttackError.self) { try MaskInterpreter(solver: Self.smallSolver(iterations: 20, scale: 4), unrolledSteps: 0).map(model, x, classes: y) }
    }

    /// ADV² against MASK (PGD framework) on the trained Fashion-MNIST CNN runs through the unrolled solver, reaches
    /// its targets within the ε-ball and changes the result compared with c = 0. It does NOT yet keep the mask closer
    /// than plain PGD (measured: map L2 3.66 against 2.87 at c 5 → 10), so no such claim is asserted.
    @Test(.enabled(if: FashionSupport.present)) func adv2OnMaskReachesTargetsThroughTheUnrolledSolver() throws {
        let model = try FashionCNN(stateDict: Safetensors.load(contentsOf: FashionSupport.checkpoint))
        let (x, y) = try FashionSupport.correctImages(model, count: 8)
        var solver = Self.smallSolver(iterations: 50, scale: 4)
        solver.maskBlur = 1
        solver.nullBlur = 2
        let interpreter = MaskInterpreter(solver: solver, warmSteps: 4, unrolledSteps: 4, resolveEvery: 10)
        var adv2 = InterpreterAttack(interpreter: interpreter)
        adv2.eps = 0.1; adv2.alpha = 0.01; adv2.warmStartSteps = 20; adv2.seed = 3
        adv2.stages = [.init(steps: 30, cStart: 5, cEnd: 10)]
        var plain = adv2
        plain.stages = [.init(steps: 30, c: 0)]
        let a = try plain.attack(model, images: x, labels: y)
        let b = try adv2.attack(model, images: x, labels: y)
        #expect(b.result.success.filter { $0 }.count >= 6, "success \(b.result.success)")
        #expect(linfDistance(b.result.adversarial, x) <= 0.1 + 1e-6 && inUnitRange(b.result.adversarial))
        #expect(b.cleanMaps.shape == [8, 7, 7] && b.adversarialMaps.scalars.allSatisfy { (0...1).contains($0) })
        #expect(a.result.adversarial.scalars != b.result.adversarial.scalars, "the interpretation term must move the attack")
        let both = (0..<8).filter { a.result.success[$0] && b.result.success[$0] }
        print("fmnist MASK: map L2 ADV² \(mapDistance(b.adversarialMaps, b.cleanMaps, both)), c = 0 \(mapDistance(a.adversarialMaps, a.cleanMaps, both)) over \(both.count) images")
    }
}
