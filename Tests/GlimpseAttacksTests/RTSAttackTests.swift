import Foundation
import GlimpseAttacks
import GlimpseCore
import GlimpseModels
import GlimpseTraining
import Testing

/// The RTS interpreter on a small random masker: map shape and range, its gradient against finite differences,
/// typed errors.
@Suite struct RTSInterpreterTests {
    static func randomMasker() throws -> (FashionCNN, MaskingModel) {
        let cnn = try FashionCNN(stateDict: FashionCNN.initialStateDict(widths: [4, 6, 8], seed: 1))
        var spec = MaskerSpec.fashionMNIST(widths: cnn.widths)
        spec.decoderWidths = [4]
        return (cnn, try MaskingModel(spec: spec, classifier: cnn, parameters: spec.initialParameters(seed: 3)))
    }

    @Test func mapIsTheMaskersNativeMaskAndDifferentiable() throws {
        let (cnn, masker) = try Self.randomMasker()
        let rts = RTSInterpreter(masker: masker)
        var rng = SeededRNG(seed: 4)
        let x = Tensor.uniform([2, 1, 28, 28], rng: &rng)
        let map = try rts.map(cnn, x, classes: [1, 7])
        #expect(map.shape == [2, 14, 14] && !map.isTracked && map.scalars.allSatisfy { (0...1).contains($0) })
        // Upsampled, it is the mask `glimpse saliency --method rts` shows.
        let full = try masker.masks(x, classes: [1, 7]).scalars
        let up = try map.reshaped([2, 1, 14, 14]).resizedBilinear(height: 28, width: 28).scalars
        #expect(zip(full, up).allSatisfy { abs($0 - $1) < 1e-5 })
        // The attack's map and logits come from one pass and match the exact ones.
        let (attackMap, logits) = try rts.attackTerms(cnn, x.requiringGradient(), classes: [1, 7])
        let exactLogits = try cnn.logits(x)
        #expect(attackMap.isTracked && maxAbsDiff(attackMap, map) < 1e-6 && maxAbsDiff(logits, exactLogits) < 1e-5)
        // Gradient of Σ R ⊙ map against central differences at the pixels with the largest gradients.
        let r = Tensor.normal([1, 14, 14], rng: &rng)
        let one = try x.sliced(axis: 0, 0..<1)
        func f(_ v: Tensor) throws -> Tensor { try (rts.attackTerms(cnn, v, classes: [3]).map * r).sum() }
        let tracked = one.requiringGradient()
        let g = try gradient(of: f(tracked), wrt: [tracked])[0].scalars
        #expect(g.contains { abs($0) > 1e-4 })
        for i in g.indices.sorted(by: { abs(g[$0]) > abs(g[$1]) }).prefix(8) {
            let numeric = try centralDifference(at: one, index: i) { Double(try f($0).scalar) }
            #expect(abs(numeric - Double(g[i])) <= 2e-3 + 5e-2 * abs(numeric), "pixel \(i): analytic \(g[i]), numeric \(numeric)")
        }
    }

    @Test func rtsErrors() throws {
        let (cnn, masker) = try Self.randomMasker()
        let x = Tensor(zeros: [1, 1, 28, 28])
        #expect(throws: AttackError.self) { try RTSInterpreter(masker: masker).map(cnn, x, classes: [10]) }
        #expect(throws: AttackError.self) { try RTSInterpreter(masker: masker).map(ToyCNN(seed: 1), Tensor(zeros: [1, 3, 16, 16]), classes: [0]) }
        #expect(throws: AttackError.self) { try AttackSettings.checkInterpreter("rts", masker: nil) }
        #expect(throws: AttackError.self) { try AttackSettings.checkInterpreter("mask2", masker: "x") }
        #expect(throws: AttackError.self) { try AttackSettings.interpreter(named: "rts", masker: "/nonexistent", model: cnn) }
    }
}

/// Attacks through a masker trained for the Fashion-MNIST CNN.
@Suite(.enabled(if: FashionSupport.present)) struct RTSAttackTests {
    /// ADV² against RTS (warm start + joint stage) reaches the target as plain PGD with the same steps does, and keeps
    /// the RTS map clearly closer to the clean map.
    @Test func adv2OnRTSKeepsTheMapCloserThanPGD() throws {
        let (model, masker) = try #require(FashionSupport.trained)
        let (x, y) = try FashionSupport.correctImages(model, count: 8)
        var pgd = InterpreterAttack(interpreter: RTSInterpreter(masker: masker))
        pgd.eps = 0.1; pgd.alpha = 0.01; pgd.warmStartSteps = 60; pgd.seed = 3
        var adv2 = InterpreterAttack.preset(.quick, method: .adv2, interpreter: RTSInterpreter(masker: masker))
        adv2.eps = 0.1; adv2.alpha = 0.01; adv2.warmStartSteps = 30; adv2.seed = 3
        adv2.stages = [.init(steps: 30, cStart: 5, cEnd: 10)]
        let a = try pgd.attack(model, images: x, labels: y)
        let b = try adv2.attack(model, images: x, labels: y)
        #expect(a.result.targets == b.result.targets)
        #expect(linfDistance(b.result.adversarial, x) <= 0.1 + 1e-6 && inUnitRange(b.result.adversarial))
        let both = (0..<y.count).filter { a.result.success[$0] && b.result.success[$0] }
        #expect(b.result.success.filter { $0 }.count >= 6, "ADV² success \(b.result.success)")
        let da = mapDistance(a.adversarialMaps, a.cleanMaps, both), db = mapDistance(b.adversarialMaps, b.cleanMaps, both)
        print("fmnist RTS, \(both.count) images: map L2 ADV² \(db), PGD \(da)")
        #expect(both.count >= 5 && db < 0.7 * da, "map distance ADV² \(db) vs PGD \(da) over \(both.count) images")
    }

    /// `AttackSettings` with `interpreter: "rts"` and a masker folder run end to end (what `glimpse attack
    /// --interpreter rts --masker DIR` does).
    @Test func settingsLoadTheMaskerFolder() throws {
        let (model, masker) = try #require(FashionSupport.trained)
        let folder = try FashionSupport.temporaryFolder("rts-settings")
        defer { try? FileManager.default.removeItem(at: folder) }
        try masker.save(to: folder)
        let (x, y) = try FashionSupport.correctImages(model, count: 1)
        let settings = AttackSettings(method: .advedge, interpreter: "rts", preset: .quick, eps: 0.1, alpha: 0.01, steps: 4,
                                      warmStartSteps: 4, masker: folder.path)
        let run = try AttackRun.run(settings, model: model, image: "fmnist-0", x: x, label: y[0])
        #expect(run.cleanMap.shape == [1, 14, 14] && run.record.interpreter == "rts")
        #expect(linfDistance(run.adversarial, x) <= 0.1 + 1e-6)
    }
}
