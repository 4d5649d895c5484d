/// The settings `glimpse train --dataset fashion-mnist` uses: batch 128, AdamW (weight decay 5e-4), peak learning
/// rate 3e-3 (SGD: 0.05 with Nesterov momentum 0.9) after a linear warm-up of min(100, steps/10) steps, cosine decay
/// to 0, horizontal flips (shifts of `maxShift` pixels optional).
public enum FashionMNISTRecipe {
    public enum OptimizerChoice: String, CaseIterable, Sendable { case adam, adamw, sgd }

    public static func config(epochs: Int, exampleCount: Int, seed: UInt64, batchSize: Int = 128,
                              optimizer: OptimizerChoice = .adamw, learningRate: Float? = nil,
                              weightDecay: Float = 5e-4, maxShift: Int = 0) throws -> TrainingConfig {
        let kind: OptimizerKind
        switch optimizer {
        case .sgd: kind = .sgd(momentum: 0.9, nesterov: true, weightDecay: weightDecay)
        case .adam: kind = .adam(weightDecay: weightDecay)
        case .adamw: kind = .adamW(weightDecay: weightDecay)
        }
        let steps = epochs * (exampleCount / max(batchSize, 1))
        let warmup = min(100, steps / 10)
        let schedule = try LearningRateSchedule(base: learningRate ?? (optimizer == .sgd ? 0.05 : 3e-3),
                                                shape: .cosine(total: max(1, steps - warmup), minimum: 0), warmupSteps: warmup)
        return try TrainingConfig(epochs: epochs, batchSize: batchSize, seed: seed, optimizer: kind, schedule: schedule,
                                  augmentation: Augmentation(flip: true, maxShift: maxShift))
    }
}
