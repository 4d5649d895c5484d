/// The interpreter attacks by name.
public enum InterpreterAttackMethod: String, Sendable, CaseIterable {
    case adv2, advedge, advedgePlus = "advedge+"

    /// The edge weighting of the method (AdvEdge+'s threshold 0.1, as the authors' PGD notebooks).
    public var edge: EdgeWeighting {
        switch self {
        case .adv2: return .none
        case .advedge: return .soft
        case .advedgePlus: return .hard(threshold: 0.1)
        }
    }
}

/// Named schedules of the interpreter attacks.
public enum AttackPreset: String, Codable, Sendable, CaseIterable {
    /// The published schedules (ADV²/AdvEdge code): warm start 300 steps; Grad: c = 0.001, 0.004, 0.01, 0.05 for
    /// 301, 201, 101, 101 steps with soft labels (q = 0.95) and best-iterate every 10 steps (p(y_t) > 0.8);
    /// CAM and Grad-CAM: c from 5 to 10 over 1000 steps (AdvEdge; ADV² uses 1200), cross-entropy, last iterate.
    case paper
    /// A scaled-down schedule for CPU runs and CI (named as such in every output): warm start 40 steps, stage 2
    /// 60 steps with the same c values (Grad: 4 × 15 steps, best-iterate every 5 steps).
    case quick
}

extension InterpreterAttack {
    /// The attack `method` on `interpreter` in `framework` with the schedule of `preset`.
    ///
    /// PGD as described at `AttackPreset`. C&W (AdvEdge's notebooks): warm start 300 steps; Grad: c = 0.003, 0.01,
    /// 0.05, 0.2 for 301, 201, 101, 101 steps; other interpreters: c 5 → 10 over 1500 steps; cross-entropy (weight 2),
    /// best iterate every 10 steps with p(y_t) > 0.75. StAdv: the PGD framework's stages and selection with
    /// cross-entropy. `quick` scales every schedule to a warm start of 40 and 60 stage-2 steps (best iterate every 5)
    /// and, for StAdv, raises Adam's learning rate to 0.05 (0.01 moves the flow at most 1 pixel in 100 steps).
    /// MASK follows CAM's schedule with ADV²'s 400 warm-start steps and, in the PGD framework, soft labels
    /// (q = 0.95) in stage 2: cross-entropy drives p(y_t) to 1 in float32, where the mask objective has no gradient
    /// and MASK returns an empty map (no interpretation gradient either); `quick` solves its masks with 100
    /// iterations and re-solves every 30 steps (the `MaskInterpreter` is changed in place).
    public static func preset(_ preset: AttackPreset, method: InterpreterAttackMethod, interpreter: any AttackableInterpreter,
                              framework: AttackFramework = .pgd) -> InterpreterAttack {
        var a = InterpreterAttack(interpreter: interpreter)
        a.edge = method.edge
        a.framework = framework
        let paper = preset == .paper
        a.warmStartSteps = paper ? 300 : 40
        let grad = interpreter is GradInterpreter
        if grad {
            let cs: [Float] = framework == .cw ? [0.003, 0.01, 0.05, 0.2] : [0.001, 0.004, 0.01, 0.05]
            let steps = paper ? [301, 201, 101, 101] : [15, 15, 15, 15]
            a.stages = zip(steps, cs).map { InterpreterAttack.JointStage(steps: $0, c: $1) }
            a.predictionLoss = framework == .pgd ? .softLabel(confidence: 0.95) : .crossEntropy
        } else {
            let steps = paper ? (framework == .cw ? 1500 : 1000) : 60
            a.stages = [InterpreterAttack.JointStage(steps: steps, cStart: 5, cEnd: 10)]
            a.predictionLoss = .crossEntropy
        }
        a.bestEvery = grad || framework == .cw ? (paper ? 10 : 5) : nil
        if framework == .cw { a.confidence = 0.75 }
        if !paper { a.stadv.learningRate = 0.05 }
        if let mask = interpreter as? MaskInterpreter {
            a.warmStartSteps = paper ? 400 : 40
            if framework == .pgd { a.predictionLoss = .softLabel(confidence: 0.95) }
            if !paper { mask.useQuickSchedule() }
        }
        return a
    }
}
