import Foundation

/// Learning rate as a function of the global step (0-based), with an optional linear warm-up.
public struct LearningRateSchedule: Codable, Sendable, Equatable {
    public enum Shape: Codable, Sendable, Equatable {
        /// The base rate throughout.
        case constant
        /// Multiplied by `gamma` every `every` steps.
        case step(every: Int, gamma: Float)
        /// Cosine decay from the base rate to `minimum` over `total` steps (after warm-up).
        case cosine(total: Int, minimum: Float)
    }

    public var base: Float
    public var shape: Shape
    /// Steps of linear warm-up from base/warmup to base.
    public var warmupSteps: Int

    public init(base: Float, shape: Shape = .constant, warmupSteps: Int = 0) throws {
        guard base > 0, base.isFinite, warmupSteps >= 0 else { throw TrainingError.invalidSetting("learning rate \(base) must be positive, warm-up \(warmupSteps) ≥ 0") }
        switch shape {
        case let .step(every, gamma): guard every >= 1, gamma > 0 else { throw TrainingError.invalidSetting("step schedule: every \(every) ≥ 1, gamma \(gamma) > 0") }
        case let .cosine(total, minimum): guard total >= 1, minimum >= 0 else { throw TrainingError.invalidSetting("cosine schedule: total \(total) ≥ 1, minimum \(minimum) ≥ 0") }
        case .constant: break
        }
        self.base = base; self.shape = shape; self.warmupSteps = warmupSteps
    }

    /// The learning rate of `step`.
    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return base * Float(step + 1) / Float(warmupSteps) }
        let t = step - warmupSteps
        switch shape {
        case .constant: return base
        case let .step(every, gamma): return base * Float(Foundation.pow(Double(gamma), Double(t / every)))
        case let .cosine(total, minimum):
            let progress = Double(Swift.min(t, total)) / Double(total)
            return minimum + (base - minimum) * Float(0.5 * (1 + Foundation.cos(Double.pi * progress)))
        }
    }
}
