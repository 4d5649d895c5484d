import GlimpseCore

/// What an attack aims for; the same vocabulary as torchattacks' modes.
public enum AttackGoal: Sendable, Equatable {
    /// Any class but the true one (the loss on the true class is increased).
    case untargeted
    /// One given class per image.
    case targeted([Int])
    /// A class drawn uniformly among the classes other than the true one, from the attack's seed.
    case randomTarget
    /// The class with the lowest clean logit (torchattacks' `set_mode_targeted_least_likely(kth_min=1)`).
    case leastLikely

    /// True for every goal but `.untargeted`.
    public var isTargeted: Bool { self != .untargeted }

    /// The class each image is pushed towards, or nil for `.untargeted`. `cleanLogits` is [N, classes].
    public func targets(labels: [Int], cleanLogits: Tensor, rng: inout SeededRNG) throws -> [Int]? {
        let classes = cleanLogits.shape[1]
        switch self {
        case .untargeted:
            return nil
        case let .targeted(t):
            guard t.count == labels.count else {
                throw AttackError.badLabels("\(t.count) targets for \(labels.count) images")
            }
            guard t.allSatisfy({ (0..<classes).contains($0) }) else {
                throw AttackError.badLabels("target class out of range 0..<\(classes): \(t)")
            }
            return t
        case .randomTarget:
            guard classes >= 2 else { throw AttackError.badLabels("a random target needs at least 2 classes") }
            return labels.map { y in (y + 1 + Int(rng.next() % UInt64(classes - 1))) % classes }
        case .leastLikely:
            let z = cleanLogits.scalars
            return (0..<labels.count).map { i in
                let row = z[(i * classes)..<((i + 1) * classes)]
                return row.indices.min { row[$0] < row[$1] }! - i * classes
            }
        }
    }
}
