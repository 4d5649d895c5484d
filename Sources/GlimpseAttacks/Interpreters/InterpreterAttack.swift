import Foundation
import GlimpseCore
import GlimpseModels

/// Attacks on a classifier *and* its interpreter: ADV² (Zhang et al., "Interpretable Deep Learning under Fire",
/// USENIX Security 2020) and AdvEdge / AdvEdge+ (Abdukhamidov et al., "Interpretations Cannot Be Trusted",
/// arXiv 2211.15926), in the PGD framework described here (default), or the C&W (`CWFramework.swift`) and StAdv
/// (`StAdvFramework.swift`) frameworks chosen by `framework`.
///
/// PGD: norm L∞, ε = 0.031 (≈ 8/255), α = 1/255, no random start, a target class per image (default: random ≠ true).
/// Stage 1 (warm start): `warmStartSteps` sign steps on CE(f(x), y_t). Stage 2: for each `JointStage`,
/// sign steps on `ℓ_prd(f(x), y_t) + c·ℓ_int(g(x; y_t), m0)` with c ramped linearly within the stage, where
/// m0 is the clean image's map for its true class and ℓ_int the summed (Grad) or averaged (CAM) squared difference.
/// Every step is projected to the ε-ball and [0, 1]. AdvEdge multiplies the steps by the edge map (`edge`), in the
/// warm start only (the authors' code) or in every step (`edgeStages`). With `bestEvery`, every that many stage-2
/// steps the iterate with p(y_t) > `confidence` whose exact map is closest to m0 is kept (ADV²'s Grad rule);
/// otherwise the last iterate is returned. Published schedules: `InterpreterAttack.paper(_:interpreter:)`.
public struct InterpreterAttack {
    /// One stage-2 block: `steps` steps with c going linearly from `cStart` to `cEnd`.
    public struct JointStage: Sendable, Equatable {
        public var steps: Int
        public var cStart: Float
        public var cEnd: Float
        public init(steps: Int, c: Float) { self.init(steps: steps, cStart: c, cEnd: c) }
        public init(steps: Int, cStart: Float, cEnd: Float) {
            self.steps = steps
            self.cStart = cStart
            self.cEnd = cEnd
        }
        /// c at step `i` of the stage.
        func c(at i: Int) -> Float { steps <= 1 ? cStart : cStart + (cEnd - cStart) * Float(i) / Float(steps - 1) }
    }

    /// The stage-2 prediction loss.
    public enum PredictionLoss: Sendable, Equatable {
        /// Cross-entropy towards the target.
        case crossEntropy
        /// ADV²'s soft labels: `−Σ q·log softmax` with q[y_t] = `confidence`, the rest spread evenly.
        case softLabel(confidence: Float)
    }

    public var interpreter: any AttackableInterpreter
    public var eps: Float = 0.031
    public var alpha: Float = 1 / 255
    public var warmStartSteps: Int = 300
    public var stages: [JointStage] = []
    public var predictionLoss: PredictionLoss = .crossEntropy
    public var edge: EdgeWeighting = .none
    public var edgeStages: EdgeStages = .warmStart
    public var goal: AttackGoal = .randomTarget
    /// Keep the best iterate every this many stage-2 steps (nil: the last iterate).
    public var bestEvery: Int?
    /// Confidence p(y_t) an iterate needs to be kept as the best.
    public var confidence: Float = 0.8
    public var seed: UInt64 = 0
    /// The optimiser of both stages (PGD by default; C&W and StAdv as in AdvEdge's notebooks).
    public var framework: AttackFramework = .pgd
    /// Settings of the C&W framework.
    public var cw = CWOptions()
    /// Settings of the StAdv framework.
    public var stadv = StAdvOptions()

    public init(interpreter: any AttackableInterpreter) { self.interpreter = interpreter }

    /// Total number of gradient steps.
    public var totalSteps: Int { warmStartSteps + stages.reduce(0) { $0 + $1.steps } }

    /// Runs the attack; `progress(step, total)` is called after every step.
    public func attack(_ model: any Classifier, images: Tensor, labels: [Int],
                       progress: ((Int, Int) -> Void)? = nil) throws -> InterpreterAttackResult {
        try validate()
        try AttackSupport.check(model, images, labels)
        var rng = SeededRNG(seed: seed)
        guard let targets = try AttackSupport.targets(goal, model: model, images: images, labels: labels, rng: &rng) else {
            throw AttackError.badParameter("interpreter attacks need a target class: use a targeted goal")
        }
        let start = Date()
        interpreter.attackWillStart()
        let mask = try edge.stepMask(for: images).map { try SignStep.expandedMask($0, like: images) }
        var run = Run(attack: self, model: model, images: images, targets: targets,
                      cleanMaps: try interpreter.map(model, images, classes: labels), edgeMask: mask, rng: rng,
                      progress: progress)
        let adversarial: Tensor
        switch framework {
        case .pgd: adversarial = try run.pgd()
        case .cw: adversarial = try run.carliniWagner()
        case .stadv: adversarial = try run.spatial()
        }
        let result = try AttackResult(model: model, adversarial: adversarial, labels: labels, targets: targets, lossHistory: run.history)
        return InterpreterAttackResult(result: result, warmStart: run.warmStart ?? images, cleanMaps: run.cleanMaps,
                                       adversarialMaps: try interpreter.map(model, adversarial, classes: targets),
                                       seconds: Date().timeIntervalSince(start))
    }

    func validate() throws {
        try AttackSupport.require("eps", eps, in: 0...1)
        try AttackSupport.require("alpha", alpha, in: 0...1)
        try AttackSupport.require("confidence", confidence, in: 0...1)
        guard warmStartSteps >= 0, stages.allSatisfy({ $0.steps >= 0 && $0.cStart.isFinite && $0.cEnd.isFinite }),
              totalSteps <= 1_000_000 else {
            throw AttackError.badParameter("steps must be non-negative (at most 1000000 in all) and c finite")
        }
        if let bestEvery, bestEvery < 1 { throw AttackError.badParameter("bestEvery must be at least 1, found \(bestEvery)") }
        if case let .hard(t) = edge { try AttackSupport.require("edge threshold", t, in: 0...1) }
        if case let .softLabel(q) = predictionLoss { try AttackSupport.require("soft-label confidence", q, in: 0...1) }
        try cw.validate()
        try stadv.validate()
    }

    /// The stage-2 prediction loss summed over the batch.
    func predictionTerm(_ logits: Tensor, _ targets: [Int]) throws -> Tensor {
        switch predictionLoss {
        case .crossEntropy:
            return -(try InterpreterSupport.logProbability(logits, targets))
        case let .softLabel(q):
            let (n, c) = (logits.shape[0], logits.shape[1])
            let rest = (1 - q) / Float(max(c - 1, 1))
            let labels = Tensor(shape: [n, c]) { p, count in
                for k in 0..<count { p[k] = rest }
                for i in 0..<n { p[i * c + targets[i]] = q }
            }
            return -(try (logits.logSoftmax(axis: 1) * labels).sum())
        }
    }

    /// Σ over images of the summed or averaged (map − m0)².
    func interpretationTerm(_ map: Tensor, _ target: Tensor) throws -> Tensor {
        let squared = try (map - target).squared()
        return interpreter.lossReduction == .sum ? try squared.sum() : try squared.mean(axes: [1, 2]).sum()
    }
}

/// The outcome of an interpreter attack.
public struct InterpreterAttackResult {
    /// Adversarial images, predictions and success.
    public let result: AttackResult
    /// The images after stage 1 (the warm start).
    public let warmStart: Tensor
    /// Exact maps of the clean images for their true classes [N, h, w] (the target maps).
    public let cleanMaps: Tensor
    /// Exact maps of the adversarial images for their target classes [N, h, w].
    public let adversarialMaps: Tensor
    /// Wall time of the attack.
    public let seconds: Double
}

/// ADV²'s best-iterate rule, per image: among iterates with p(y_t) > confidence, the one whose exact map is closest
/// (summed squared difference) to the clean map.
struct BestIterate {
    private var images: [[Float]?]
    private var distances: [Float]
    let confidence: Float

    init(count: Int, confidence: Float) {
        images = Array(repeating: nil, count: count)
        distances = Array(repeating: .infinity, count: count)
        self.confidence = confidence
    }

    mutating func consider(_ x: Tensor, model: any Classifier, interpreter: any AttackableInterpreter, targets: [Int],
                           cleanMaps: Tensor) throws {
        let p = try model.logits(x).softmax(axis: 1)
        let maps = try interpreter.map(model, x, classes: targets)
        let n = x.shape[0], per = x.count / n, cells = maps.count / n
        let pv = p.scalars, mv = maps.scalars, cv = cleanMaps.scalars, xv = x.scalars
        for i in 0..<n where pv[i * p.shape[1] + targets[i]] > confidence {
            var d: Float = 0
            for k in (i * cells)..<((i + 1) * cells) { d += (mv[k] - cv[k]) * (mv[k] - cv[k]) }
            if d < distances[i] {
                distances[i] = d
                images[i] = Array(xv[(i * per)..<((i + 1) * per)])
            }
        }
    }

    /// The kept iterate of each image, or the image of `fallback` where none was kept.
    func merged(fallback: Tensor) throws -> Tensor {
        let n = fallback.shape[0], per = fallback.count / n
        var values = fallback.scalars
        for i in 0..<n { if let kept = images[i] { values.replaceSubrange((i * per)..<((i + 1) * per), with: kept) } }
        return try Tensor(values, shape: fallback.shape)
    }
}
