import GlimpseCore
import Testing
import GlimpseTraining

/// Three updates of [1, −2, 0.5] with fixed gradients, lr 0.1, weight decay 0.01, compared with torch.optim
/// (PyTorch 2, printed by the anchors venv: SGD(momentum 0.9[, nesterov]), Adam, AdamW).
@Suite struct OptimizerTests {
    static let grads: [[Float]] = [[0.1, -0.3, 0.2], [0.4, 0.1, -0.2], [-0.3, 0.2, 0.05]]

    func run(_ kind: OptimizerKind) throws -> [Float] {
        var optimizer = try Optimizer(kind)
        var p = ["w": try Tensor([1, -2, 0.5], shape: [3])]
        for g in OptimizerTests.grads { try optimizer.step(&p, gradients: ["w": try Tensor(g, shape: [3])], lr: 0.1) }
        return p["w"]!.scalars
    }

    func expectClose(_ a: [Float], _ b: [Float]) {
        for (x, y) in zip(a, b) { #expect(abs(x - y) < 2e-6, "\(a) vs \(b)") }
    }

    @Test func matchesTorchOptim() throws {
        expectClose(try run(.sgd(momentum: 0.9, nesterov: false, weightDecay: 0.01)), [0.9213727712631226, -1.9465935230255127, 0.476053386926651])
        expectClose(try run(.sgd(momentum: 0.9, nesterov: true, weightDecay: 0.01)), [0.9064221978187561, -1.9461324214935303, 0.47203609347343445])
        expectClose(try run(.adam(weightDecay: 0.01)), [0.7902055978775024, -1.852493166923523, 0.3933464586734772])
        expectClose(try run(.adamW(weightDecay: 0.01)), [0.7911828756332397, -1.8622539043426514, 0.39683711528778076])
    }

    @Test func badSettingsThrow() {
        #expect(throws: TrainingError.self) { try Optimizer(.sgd(momentum: 1, nesterov: false, weightDecay: 0)) }
        #expect(throws: TrainingError.self) { try Optimizer(.adam(beta1: 0.9, beta2: 0.999, epsilon: 0, weightDecay: 0, decoupled: false)) }
        #expect(throws: TrainingError.self) { try LearningRateSchedule(base: 0) }
        #expect(throws: TrainingError.self) { try LearningRateSchedule(base: 0.1, shape: .cosine(total: 0, minimum: 0)) }
    }

    @Test func schedules() throws {
        let step = try LearningRateSchedule(base: 1, shape: .step(every: 10, gamma: 0.1), warmupSteps: 4)
        #expect(step.rate(at: 0) == 0.25 && step.rate(at: 3) == 1 && step.rate(at: 13) == 1)
        #expect(abs(step.rate(at: 14) - 0.1) < 1e-7 && abs(step.rate(at: 34) - 0.001) < 1e-9)
        let cosine = try LearningRateSchedule(base: 1, shape: .cosine(total: 100, minimum: 0.1))
        #expect(cosine.rate(at: 0) == 1 && abs(cosine.rate(at: 50) - 0.55) < 1e-6 && abs(cosine.rate(at: 100) - 0.1) < 1e-6)
        #expect(abs(cosine.rate(at: 500) - 0.1) < 1e-6)
    }
}
