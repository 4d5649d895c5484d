import GlimpseCore
import GlimpseModels

/// The optimiser an interpreter attack runs both stages with.
public enum AttackFramework: String, Codable, Sendable, CaseIterable {
    /// Signed-gradient steps projected to the L∞ ball (`PGDFramework.swift`).
    case pgd
    /// Adam in C&W's tanh space, no ball, L2 penalty (`CWFramework.swift`).
    case cw
    /// Adam on a flow field that warps the image (`StAdvFramework.swift`).
    case stadv
}

extension InterpreterAttack {
    /// c at every stage-2 step, in order.
    var jointSchedule: [Float] { stages.flatMap { s in (0..<s.steps).map { s.c(at: $0) } } }

    /// The state one attack shares between its framework's loops: targets, clean maps, edge mask, loss history,
    /// progress and the best iterate.
    struct Run {
        let attack: InterpreterAttack
        let model: any Classifier
        let images: Tensor
        let targets: [Int]
        let cleanMaps: Tensor
        /// The edge weighting broadcast to the images' shape (nil for ADV²).
        let edgeMask: Tensor?
        var rng: SeededRNG
        let progress: ((Int, Int) -> Void)?
        var history: [Float] = []
        /// The images after stage 1.
        var warmStart: Tensor?
        private var done = 0
        private var sinceCheck = 0
        private var best: BestIterate

        init(attack: InterpreterAttack, model: any Classifier, images: Tensor, targets: [Int], cleanMaps: Tensor,
             edgeMask: Tensor?, rng: SeededRNG, progress: ((Int, Int) -> Void)?) {
            self.attack = attack; self.model = model; self.images = images; self.targets = targets
            self.cleanMaps = cleanMaps; self.edgeMask = edgeMask; self.rng = rng; self.progress = progress
            best = BestIterate(count: images.shape[0], confidence: attack.confidence)
        }

        /// The edge weighting of stage 2 (only with `edgeStages == .all`).
        var stage2Mask: Tensor? { attack.edgeStages == .all ? edgeMask : nil }

        /// `weight·ℓ_prd(f(x), y_t) + c·ℓ_int(g(x; y_t), m0)` at the tracked x, summed over the batch.
        func jointLoss(_ x: Tensor, c: Float, predictionWeight: Float = 1) throws -> Tensor {
            let (map, logits) = try attack.interpreter.attackTerms(model, x, classes: targets)
            return try attack.predictionTerm(logits, targets) * predictionWeight + attack.interpretationTerm(map, cleanMaps) * c
        }

        /// (∂/∂x, value) of the joint loss at x (a leaf).
        func jointGradient(_ x: Tensor, c: Float, predictionWeight: Float = 1) throws -> (grad: Tensor, loss: Float) {
            let tracked = x.detached().requiringGradient()
            let loss = try jointLoss(tracked, c: c, predictionWeight: predictionWeight)
            let g = try gradient(of: loss, wrt: [tracked])[0]
            guard loss.scalar.isFinite, g.isFinite else {
                throw AttackError.badInput("the joint loss or its gradient is not finite (interpreter \(attack.interpreter.name))")
            }
            return (g, loss.scalar)
        }

        /// Records one step's loss and reports progress.
        mutating func stepDone(_ loss: Float) {
            history.append(loss)
            done += 1
            progress?(done, attack.totalSteps)
        }

        /// After a stage-2 step to `x`: every `bestEvery` steps, offers x to the best-iterate rule.
        mutating func consider(_ x: Tensor) throws {
            guard let every = attack.bestEvery else { return }
            sinceCheck += 1
            guard sinceCheck >= every else { return }
            sinceCheck = 0
            try best.consider(x, model: model, interpreter: attack.interpreter, targets: targets, cleanMaps: cleanMaps)
        }

        /// The attack's output for the last iterate `x`: the kept best iterates, or x.
        func finish(_ x: Tensor) throws -> Tensor { attack.bestEvery == nil ? x : try best.merged(fallback: x) }
    }
}
