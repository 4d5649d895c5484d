import Foundation
import GlimpseCore
import GlimpseModels
import GlimpseVis
import Testing

/// SGD with Nesterov momentum, the direction and class-probability objectives, diversity.
@Suite struct OptimizerAndObjectiveTests {
    @Test func nesterovSGDFollowsPyTorch() throws {
        // v1 = g1; p1 = p0 − lr·(g1 + μ·v1). v2 = μ·v1 + g2; p2 = p1 − lr·(g2 + μ·v2).
        var sgd = SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)
        var p = try Tensor([1, 2], shape: [2])
        try sgd.update(&p, gradient: try Tensor([1, -1], shape: [2]))
        #expect(abs(p[0] - (1 - 0.1 * 1.9)) < 1e-6 && abs(p[1] - (2 + 0.1 * 1.9)) < 1e-6)
        try sgd.update(&p, gradient: try Tensor([0.5, 0], shape: [2]))
        let v2: Float = 0.9 * 1 + 0.5
        #expect(abs(p[0] - (1 - 0.19 - 0.1 * (0.5 + 0.9 * v2))) < 1e-6)
        var classical = SGD(learningRate: 0.1, momentum: 0.9, nesterov: false)
        var q = try Tensor([0], shape: [1])
        try classical.update(&q, gradient: try Tensor([1], shape: [1]))
        try classical.update(&q, gradient: try Tensor([1], shape: [1]))
        #expect(abs(q[0] - (-0.1 - 0.19)) < 1e-6)
        #expect(throws: TensorError.self) { try sgd.update(&p, gradient: Tensor(zeros: [3])) }
    }

    @Test func directionAndProbabilityValues() throws {
        let model = SmallCNN(seed: 3)
        var rng = SeededRNG(seed: 2)
        let x = Tensor.uniform([2, 3, 16, 16], rng: &rng)
        let r = try model.run(x, capturing: ["conv2"])
        let a = try r.layer("conv2")
        var v = [Float](repeating: 0, count: 16)
        v[3] = 2
        // Power 0 along a basis vector: twice the channel mean.
        let plain = try Objective.direction("conv2", v).value(r).scalar
        let channelMean = try a.sliced(axis: 1, 3..<4).mean().scalar
        #expect(abs(plain - 2 * channelMean) < 1e-5)
        // Power 2: each position's dot times max(0.1, cos)², computed by hand.
        let vals = a.scalars, (b, c, hw) = (2, 16, a.shape[2] * a.shape[3])
        var expected: Float = 0
        for n in 0..<b {
            for p in 0..<hw {
                let col = (0..<c).map { vals[(n * c + $0) * hw + p] }
                let norm = col.reduce(0) { $0 + $1 * $1 }.squareRoot()
                let dot = 2 * col[3], cosine = dot / ((norm * norm + 1e-8).squareRoot() * 2)
                expected += dot * Foundation.pow(max(0.1, cosine), 2)
            }
        }
        let powered = try Objective.direction("conv2", v, cossimPower: 2).value(r).scalar
        #expect(abs(powered - expected / Float(b * hw)) < 1e-4 * max(1, abs(powered)))
        let p = try r.logits.softmax(axis: 1)
        #expect(abs(try Objective.classProbability(2).value(r).scalar - (p[0, 2] + p[1, 2]) / 2) < 1e-6)
        #expect(abs(try Objective.parse("prob:2").value(r).scalar - (p[0, 2] + p[1, 2]) / 2) < 1e-6)
        #expect(try Objective.parse("logit:4", batch: 1).value(r).scalar == r.logits[1, 4])
        #expect(throws: VisError.self) { try Objective.direction("conv2", [0, 0]) }
        #expect(throws: VisError.self) { try Objective.direction("conv2", [1, 2]).value(r) }
        #expect(throws: VisError.self) { try Objective.parse("prob:x") }
    }

    @Test(arguments: [Float(0), 4])
    func directionGradient(power: Float) throws {
        let model = SmallCNN(seed: 3)
        var rng = SeededRNG(seed: 4)
        let v = (0..<16).map { _ in rng.nextNormal() }
        let objective = try Objective.direction("conv2", v, cossimPower: power)
        let x = Tensor.uniform([1, 3, 12, 12], rng: &rng)
        #expect(try worstGradientError(at: x, every: 11, eps: 1e-3, atol: 1e-3, rtol: 3e-2) {
            try objective.value(model.run($0, capturing: objective.layers))
        } <= 1)
    }

    @Test(arguments: ["direction", "probability", "sgd"])
    func optimisingIncreases(kind: String) throws {
        var rng = SeededRNG(seed: 1)
        let objective: Objective
        var renderer = Renderer()
        renderer.steps = 30
        renderer.transforms = [.jitter(2)]
        switch kind {
        case "direction": objective = try .direction("conv2", (0..<16).map { _ in rng.nextNormal() }, cossimPower: 2)
        case "probability": objective = .classProbability(1)
        default:
            objective = .channel("conv2", 3)
            renderer.optimizer = .sgd
            renderer.learningRate = 0.5
        }
        let r = try renderer.render(model: SmallCNN(seed: 3), objective: objective,
                                    parameterization: FourierImage(batch: 1, height: 32, width: 32), seed: 2)
        let (early, late) = (r.history.prefix(5).reduce(0, +) / 5, r.history.suffix(5).reduce(0, +) / 5)
        #expect(late > early + 0.01 * abs(early), "\(kind): \(early) → \(late)")
    }

    @Test func newFeaturesAreDeterministic() throws {
        func run() throws -> Tensor {
            var renderer = Renderer()
            renderer.steps = 6
            renderer.optimizer = .sgd
            renderer.penalties = [try .spectral(weight: 1)]
            let maco = try MACOImage(batch: 2, height: 16, width: 16, spectrum: .powerLaw(height: 16, width: 16))
            return try renderer.render(model: SmallCNN(seed: 3), objective: .channel("conv2", 1) - 10 * .diversity("conv2"),
                                       parameterization: maco, seed: 11).images
        }
        #expect(try run().scalars == run().scalars)
    }
}
