import GlimpseAttacks
import GlimpseCore
import GlimpseModels
import Testing

@Suite struct ClassifierAttackToyTests {
    let model = ToyCNN(seed: 11)

    @Test func pgdLinfStaysInTheBallAndFlipsTheToyModel() throws {
        let (x, y) = try toyBatch(model)
        let r = try PGDLinf(eps: 0.06, alpha: 0.01, steps: 20, seed: 1).attack(model, images: x, labels: y)
        #expect(linfDistance(r.adversarial, x) <= 0.06 + 1e-6)
        #expect(linfDistance(r.adversarial, x) > 0.05)
        #expect(inUnitRange(r.adversarial))
        #expect(r.success.filter { $0 }.count >= 6, "success \(r.success)")
        #expect(r.success == zip(r.predictions, y).map { $0 != $1 })
        #expect(r.lossHistory.count == 20 && r.lossHistory.last! < r.lossHistory.first!, "the minimised loss (−CE of the label) must fall, \(r.lossHistory)")
    }

    @Test func pgdL2StaysInTheBall() throws {
        let (x, y) = try toyBatch(model)
        let r = try PGDL2(eps: 2.0, alpha: 0.3, steps: 20, seed: 2).attack(model, images: x, labels: y)
        let d = l2Distances(r.adversarial, x)
        #expect(d.allSatisfy { $0 <= 2.0 + 1e-4 }, "\(d)")
        #expect(d.contains { $0 > 1.9 })
        #expect(inUnitRange(r.adversarial))
        #expect(r.success.filter { $0 }.count >= 6, "success \(r.success)")
    }

    @Test func fgsmMovesEveryUnclippedPixelByEps() throws {
        let (x, y) = try toyBatch(model)
        let eps: Float = 0.03
        let r = try FGSM(eps: eps).attack(model, images: x, labels: y)
        let moved = zip(r.adversarial.scalars, x.scalars).filter { a, o in a > 0 && a < 1 }.map { abs($0 - $1) }
        #expect(moved.filter { abs($0 - eps) < 1e-5 }.count > moved.count * 9 / 10)
        #expect(inUnitRange(r.adversarial))
        #expect(r.lossHistory.count == 1)
    }

    @Test func targetedGoalsReachTheirTargets() throws {
        let (x, y) = try toyBatch(model)
        let r = try PGDLinf(eps: 0.15, alpha: 0.02, steps: 30, goal: .randomTarget, seed: 3).attack(model, images: x, labels: y)
        let t = try #require(r.targets)
        #expect(zip(t, y).allSatisfy { $0 != $1 })
        #expect(r.success == zip(r.predictions, t).map { $0 == $1 })
        #expect(r.success.filter { $0 }.count >= 6, "success \(r.success) targets \(t)")
        let ll = try PGDLinf(eps: 0.15, alpha: 0.02, steps: 1, goal: .leastLikely).attack(model, images: x, labels: y)
        let z = try model.logits(x)
        #expect(ll.targets == (0..<8).map { i in (0..<4).min { z[i, $0] < z[i, $1] }! })
        let given = try PGDLinf(steps: 1, goal: .targeted([0, 1, 2, 3, 0, 1, 2, 3])).attack(model, images: x, labels: y)
        #expect(given.targets == [0, 1, 2, 3, 0, 1, 2, 3])
    }

    @Test func carliniWagnerFindsSmallPerturbations() throws {
        let (x, y) = try toyBatch(model)
        let r = try CarliniWagnerL2(c: 10, steps: 100, learningRate: 0.01).attack(model, images: x, labels: y)
        #expect(inUnitRange(r.adversarial))
        #expect(r.success.filter { $0 }.count >= 6, "success \(r.success)")
        let d = l2Distances(r.adversarial, x)
        for i in 0..<8 { if r.success[i] { #expect(d[i] > 0 && d[i] < 3, "image \(i): L2 \(d[i])") } else { #expect(d[i] == 0) } }
    }

    @Test func stepMaskConfinesThePerturbation() throws {
        let (x, y) = try toyBatch(model)
        // Left half of every image may change, right half may not (no random start: it would move every pixel).
        let mask = Tensor(shape: [1, 1, 16, 16]) { p, n in for i in 0..<n { p[i] = i % 16 < 8 ? 1 : 0 } }
        let r = try PGDLinf(eps: 0.06, alpha: 0.01, steps: 10, randomStart: false, stepMask: mask).attack(model, images: x, labels: y)
        let d = zip(r.adversarial.scalars, x.scalars).map { $0 - $1 }
        #expect(d.indices.filter { $0 % 16 >= 8 }.allSatisfy { d[$0] == 0 })
        #expect(d.indices.filter { $0 % 16 < 8 && d[$0] != 0 }.count > 1000)
    }

    @Test func sameSeedSameResult() throws {
        let (x, y) = try toyBatch(model)
        let a = try PGDLinf(steps: 3, goal: .randomTarget, seed: 9).attack(model, images: x, labels: y)
        let b = try PGDLinf(steps: 3, goal: .randomTarget, seed: 9).attack(model, images: x, labels: y)
        let c = try PGDLinf(steps: 3, goal: .randomTarget, seed: 10).attack(model, images: x, labels: y)
        #expect(a.adversarial.scalars == b.adversarial.scalars && a.targets == b.targets)
        #expect(a.adversarial.scalars != c.adversarial.scalars)
    }

    @Test func badInputsAreTypedErrors() throws {
        let (x, y) = try toyBatch(model)
        #expect(throws: AttackError.self) { try PGDLinf(eps: -1).attack(self.model, images: x, labels: y) }
        #expect(throws: AttackError.self) { try PGDLinf(steps: 0).attack(self.model, images: x, labels: y) }
        #expect(throws: AttackError.self) { try PGDLinf().attack(self.model, images: x, labels: [0]) }
        #expect(throws: AttackError.self) { try PGDLinf().attack(self.model, images: x, labels: Array(repeating: 7, count: 8)) }
        #expect(throws: AttackError.self) { try FGSM().attack(self.model, images: x * 2, labels: y) }
        #expect(throws: AttackError.self) { try PGDLinf(goal: .targeted([1])).attack(self.model, images: x, labels: y) }
        #expect(throws: AttackError.self) { try CarliniWagnerL2(learningRate: .nan).attack(self.model, images: x, labels: y) }
        #expect(throws: AttackError.self) { try PGDLinf(stepMask: Tensor(zeros: [1, 1, 5, 5])).attack(self.model, images: x, labels: y) }
    }
}

@Suite(.enabled(if: AttackData.hasLite)) struct ClassifierAttackLiteTests {
    @Test func pgdFoolsLite0OnChelsea() throws {
        let model = try #require(AttackData.lite)
        let x = try AttackData.photo("chelsea.png", model)
        let label = Prediction.argmax(try model.logits(x))[0]
        let r = try PGDLinf(seed: 0).attack(model, images: x, labels: [label])
        #expect(r.success == [true])
        #expect(linfDistance(r.adversarial, x) <= 8 / 255 + 1e-6)
        #expect(inUnitRange(r.adversarial))
        let t = try PGDLinf(steps: 25, goal: .randomTarget, seed: 4).attack(model, images: x, labels: [label])
        #expect(t.success == [true], "target \(t.targets!) predicted \(t.predictions) loss \(t.lossHistory)")
    }
}
