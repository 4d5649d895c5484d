import GlimpseCore
import GlimpseModels

/// An evasion attack on a classifier. Images are in [0, 1], [N, C, H, W]; the model normalises its input itself,
/// so perturbation budgets are in [0, 1] pixel units (ε = 8/255 is eight grey levels).
public protocol ClassifierAttack {
    /// Short name ("pgd", "fgsm", ...).
    var name: String { get }
    /// Attacks `images` whose true classes are `labels`.
    func attack(_ model: any Classifier, images: Tensor, labels: [Int]) throws -> AttackResult
}

/// Shared pieces of the gradient attacks: input checks, goal resolution, the loss gradient and projections.
enum AttackSupport {
    /// Throws unless `images` is [N, C, H, W] in [0, 1] and `labels` has N valid classes.
    static func check(_ model: any Classifier, _ images: Tensor, _ labels: [Int]) throws {
        guard images.rank == 4, images.shape[0] >= 1 else {
            throw AttackError.badInput("attacks take images [N, C, H, W], found \(images.shape)")
        }
        guard labels.count == images.shape[0] else {
            throw AttackError.badLabels("\(labels.count) labels for \(images.shape[0]) images")
        }
        guard labels.allSatisfy({ (0..<model.classCount).contains($0) }) else {
            throw AttackError.badLabels("label out of range 0..<\(model.classCount): \(labels)")
        }
        let inRange = images.withUnsafeBufferPointer { b in b.allSatisfy { $0 >= 0 && $0 <= 1 } }
        guard inRange else { throw AttackError.badInput("attack images must have values in [0, 1] (NaN or out-of-range values found)") }
        try model.validate(images)
    }

    /// Resolves the goal's targets from the clean logits.
    static func targets(_ goal: AttackGoal, model: any Classifier, images: Tensor, labels: [Int],
                        rng: inout SeededRNG) throws -> [Int]? {
        guard goal.isTargeted else { return nil }
        if case .targeted = goal { return try goal.targets(labels: labels, cleanLogits: Tensor(zeros: [labels.count, model.classCount]), rng: &rng) }
        return try goal.targets(labels: labels, cleanLogits: model.logits(images), rng: &rng)
    }

    /// The loss an attack minimises, summed over the batch: CE towards the targets, or minus CE of the labels.
    static func goalLoss(_ logits: Tensor, labels: [Int], targets: [Int]?) throws -> Tensor {
        let picked = try logits.logSoftmax(axis: 1).picking(targets ?? labels).sum()
        return targets == nil ? picked : -picked
    }

    /// (∂loss/∂x, loss, logits) at x for the cross-entropy goal loss.
    static func lossGradient(_ model: any Classifier, _ x: Tensor, labels: [Int],
                             targets: [Int]?) throws -> (grad: Tensor, loss: Float, logits: Tensor) {
        let input = x.detached().requiringGradient()
        let logits = try model.run(input).logits
        let loss = try goalLoss(logits, labels: labels, targets: targets)
        let g = try gradient(of: loss, wrt: [input])[0]
        return (g, loss.scalar, logits.detached())
    }

    /// x0 + clamp(x − x0, −ε, ε), then clamped to [0, 1].
    static func projectLinf(_ x: Tensor, around x0: Tensor, eps: Float) -> Tensor {
        zip3(x, x0) { v, o in Swift.min(Swift.max(o + Swift.min(Swift.max(v - o, -eps), eps), 0), 1) }
    }

    /// x0 + δ·min(1, ε/‖δ‖₂) per image, then clamped to [0, 1].
    static func projectL2(_ x: Tensor, around x0: Tensor, eps: Float) -> Tensor {
        let n = x.shape[0], per = x.count / n
        let d = zip3(x, x0) { $0 - $1 }.scalars
        var scale = [Float](repeating: 1, count: n)
        for i in 0..<n {
            var s: Float = 0
            for j in 0..<per { s += d[i * per + j] * d[i * per + j] }
            let norm = s.squareRoot()
            if norm > eps { scale[i] = eps / norm }
        }
        let o = x0.scalars
        return Tensor(shape: x.shape) { out, count in
            for k in 0..<count { out[k] = Swift.min(Swift.max(o[k] + d[k] * scale[k / per], 0), 1) }
        }
    }

    /// g divided by its L2 norm per image (+1e-10, as torchattacks).
    static func normalizedL2(_ g: Tensor) -> Tensor {
        let n = g.shape[0], per = g.count / n, v = g.scalars
        let norms = (0..<n).map { i in (v[(i * per)..<((i + 1) * per)].reduce(Float(0)) { $0 + $1 * $1 }).squareRoot() + 1e-10 }
        return Tensor(shape: g.shape) { out, count in for k in 0..<count { out[k] = v[k] / norms[k / per] } }
    }

    /// Element-wise combination of two same-shape tensors (no autodiff).
    static func zip3(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                Tensor(shape: a.shape) { out, n in for i in 0..<n { out[i] = f(pa[i], pb[i]) } }
            }
        }
    }

    /// Element-wise map (no autodiff).
    static func map(_ a: Tensor, _ f: (Float) -> Float) -> Tensor {
        a.withUnsafeBufferPointer { pa in Tensor(shape: a.shape) { out, n in for i in 0..<n { out[i] = f(pa[i]) } } }
    }

    /// Throws unless `value` is finite and in `range`.
    static func require(_ name: String, _ value: Float, in range: ClosedRange<Float>) throws {
        guard value.isFinite, range.contains(value) else {
            throw AttackError.badParameter("\(name) must be in \(range.lowerBound)...\(range.upperBound), found \(value)")
        }
    }

    /// Throws unless `steps` is in 1...100 000.
    static func requireSteps(_ name: String, _ steps: Int) throws {
        guard (1...100_000).contains(steps) else { throw AttackError.badParameter("\(name) must be in 1...100000, found \(steps)") }
    }
}
