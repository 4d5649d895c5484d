import GlimpseCore

/// Seeded order of the examples: epoch `e` is a Fisher-Yates shuffle drawn from a generator seeded by (seed, e),
/// so any step of any epoch can be recomputed without replaying the ones before it (what exact resume needs).
public struct BatchSchedule: Sendable, Equatable {
    public let exampleCount: Int
    public let batchSize: Int
    public let seed: UInt64
    /// Whether the last, incomplete batch of an epoch is dropped (keeps batch-norm statistics stable).
    public let dropLast: Bool

    public init(exampleCount: Int, batchSize: Int, seed: UInt64, dropLast: Bool = true) throws {
        guard batchSize >= 1, exampleCount >= 1 else { throw TrainingError.invalidSetting("batch size \(batchSize) and example count \(exampleCount) must be at least 1") }
        guard !dropLast || exampleCount >= batchSize else {
            throw TrainingError.invalidSetting("\(exampleCount) examples do not fill one batch of \(batchSize)")
        }
        self.exampleCount = exampleCount; self.batchSize = batchSize; self.seed = seed; self.dropLast = dropLast
    }

    /// Batches per epoch.
    public var batchesPerEpoch: Int { dropLast ? exampleCount / batchSize : (exampleCount + batchSize - 1) / batchSize }

    /// The permutation of the examples used in `epoch`.
    public func order(epoch: Int) -> [Int] {
        var rng = SeededRNG(seed: seed ^ (0x9E37_79B9_7F4A_7C15 &* UInt64(epoch + 1)))
        var order = Array(0..<exampleCount)
        for i in stride(from: exampleCount - 1, to: 0, by: -1) {
            order.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
        return order
    }

    /// Example indices of batch `index` of an epoch whose order is `order`.
    public func batch(_ index: Int, of order: [Int]) -> [Int] {
        Array(order[(index * batchSize)..<Swift.min((index + 1) * batchSize, exampleCount)])
    }

    /// A generator for the random choices of global step `step` (augmentation, noise), independent of other steps.
    public func rng(step: Int, stream: UInt64 = 0) -> SeededRNG {
        SeededRNG(seed: seed &+ 0xD1B5_4A32_D192_ED03 &* UInt64(step + 1) &+ stream &* 0x2545_F491_4F6C_DD1D)
    }
}
