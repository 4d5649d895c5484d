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

    /// ADV² against MASK (PGD framework, soft labels q = 0.95 as the `paper`/`quick` presets) on the trained
    /// Fashion-MNIST CNN reaches its targets within the ε-ball and keeps the exact mask of the target class clearly
    /// closer to the clean mask than plain PGD with the same ε, steps and targets (cross-entropy, no map term),
    /// whose saturated target probability leaves MASK nothing to delete (an empty map). Images whose clean map is
    /// itself empty (the CNN saturated on them) are skipped: there is no explanation to keep.
    @Test(.enabled(if: FashionSupport.present)) func adv2OnMaskStaysCloserThanPGD() throws {
        let model = try FashionCNN(stateDict: Safetensors.load(contentsOf: FashionSupport.checkpoint))
        var solver = Self.smallSolver(iterations: 50, scale: 4)
        solver.maskBlur = 1
        solver.nullBlur = 2
        let interpreter = MaskInterpreter(solver: solver, warmSteps: 4, unrolledSteps: 4, resolveEvery: 10)
        let (x, y) = try Self.imagesWithCleanMaps(model, interpreter, count: 8)
        var adv2 = InterpreterAttack(interpreter: interpreter)
        adv2.eps = 0.1; adv2.alpha = 0.01; adv2.warmStartSteps = 20; adv2.seed = 3
        adv2.stages = [.init(steps: 30, cStart: 5, cEnd: 10)]
        adv2.predictionLoss = .softLabel(confidence: 0.95)
        var pgd = adv2
        pgd.stages = [.init(steps: 30, c: 0)]
        pgd.predictionLoss = .crossEntropy
        let a = try pgd.attack(model, images: x, labels: y)
        let b = try adv2.attack(model, images: x, labels: y)
        #expect(a.result.targets == b.result.targets)
        #expect(b.result.success.filter { $0 }.count >= 6, "success \(b.result.success)")
        #expect(linfDistance(b.result.adversarial, x) <= 0.1 + 1e-6 && inUnitRange(b.result.adversarial))
        #expect(b.cleanMaps.shape == [8, 7, 7] && b.adversarialMaps.scalars.allSatisfy { (0...1).contains($0) })
        let both = (0..<8).filter { a.result.success[$0] && b.result.success[$0] }
        #expect(both.count >= 6)
        let (pgdL1, pgdL2, pgdIoU) = Self.meanMapMetrics(a, both), (advL1, advL2, advIoU) = Self.meanMapMetrics(b, both)
        print("fmnist MASK over \(both.count) images: map L1/L2/IoU ADV² \(advL1)/\(advL2)/\(advIoU), PGD \(pgdL1)/\(pgdL2)/\(pgdIoU)")
        // On the CNN cached on the development machine ADV² is at 0.68–0.70 of PGD's distances and its IoU 0.04 higher;
        // on the one CI trains from seed 0, at 0.86 with the same IoU (0.358). The old cross-entropy attack was farther
        // than PGD. PGD's maps are often empty, and an empty map's top-k IoU comes only from the index tie-break, so
        // the IoU must merely not be clearly worse.
        #expect(advL2 < 0.92 * pgdL2 && advL1 < 0.92 * pgdL1, "ADV² must keep the mask clearly closer than PGD")
        #expect(advIoU > pgdIoU - 0.02, "ADV² must not lose the clean mask's top pixels")
    }

    /// The first `count` correctly classified test images whose clean mask deletes something (mean map > 0.05).
    static func imagesWithCleanMaps(_ model: FashionCNN, _ interpreter: MaskInterpreter, count: Int) throws -> (Tensor, [Int]) {
        let (x, y) = try FashionSupport.correctImages(model, count: 3 * count)
        let maps = try interpreter.map(model, x, classes: y).scalars, cells = maps.count / y.count
        let keep = Array(y.indices.filter { i in maps[(i * cells)..<((i + 1) * cells)].reduce(0, +) / Float(cells) > 0.05 }.prefix(count))
        #expect(keep.count == count, "only \(keep.count) images with a non-empty clean mask")
        return (try Tensor.concatenate(keep.map { try x.sliced(axis: 0, $0..<($0 + 1)) }, axis: 0), keep.map { y[$0] })
    }

    /// Mean over `images` of map L1, map L2 and mean top-k% IoU between adversarial and clean maps.
    static func meanMapMetrics(_ r: InterpreterAttackResult, _ images: [Int]) -> (Double, Double, Double) {
        let adv = r.adversarialMaps.scalars, clean = r.cleanMaps.scalars, cells = adv.count / r.adversarialMaps.shape[0]
        var sums = (0.0, 0.0, 0.0)
        for i in images {
            let a = Array(adv[(i * cells)..<((i + 1) * cells)]), c = Array(clean[(i * cells)..<((i + 1) * cells)])
            let iou = MapMetrics.topKIoU(a, c)
            sums = (sums.0 + MapMetrics.l1(a, c), sums.1 + MapMetrics.l2(a, c), sums.2 + iou.reduce(0, +) / Double(iou.count))
        }
        let n = Double(max(images.count, 1))
        return (sums.0 / n, sums.1 / n, sums.2 / n)
    }
}
