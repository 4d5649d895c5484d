import Foundation
import GlimpseCore

/// What one training step computed: the loss to minimise (a tracked scalar), how many of its examples were
/// classified correctly, and the batch-norm statistics to fold into the running averages.
public struct StepOutput {
    public var loss: Tensor
    public var correct: Int
    public var seen: Int
    public var statistics: [String: BatchStatistics]

    public init(loss: Tensor, correct: Int, seen: Int, statistics: [String: BatchStatistics] = [:]) {
        self.loss = loss; self.correct = correct; self.seen = seen; self.statistics = statistics
    }
}

/// Progress of a run, reported after every step.
public struct TrainingProgress: Sendable {
    public var step: Int, totalSteps: Int
    public var epoch: Int, batch: Int, batchesPerEpoch: Int
    /// Means over the epoch so far.
    public var loss: Double, accuracy: Double
    public var learningRate: Float
}

/// The generic loop: seeded batches, a loss from a step closure, gradients of the trainable parameters,
/// the optimiser update, batch-norm running averages, checkpoints and exact resume.
///
/// Every random choice of a step is drawn from generators seeded by (seed, step), so a run resumed from any
/// checkpoint computes exactly the steps an uninterrupted run would have.
public struct TrainingLoop {
    public let config: TrainingConfig
    public let batches: BatchSchedule
    /// Run folder for checkpoints (nil: no checkpoints).
    public let folder: URL?
    /// Written into `state.json` and the safetensors metadata.
    public let label: String
    public var metadata: [String: String] = [:]

    public init(config: TrainingConfig, exampleCount: Int, folder: URL?, label: String) throws {
        self.config = config
        batches = try BatchSchedule(exampleCount: exampleCount, batchSize: config.batchSize, seed: config.seed)
        self.folder = folder
        self.label = label
    }

    public var totalSteps: Int { config.epochs * batches.batchesPerEpoch }

    /// Trains `parameters[trainableKeys]`; `keyOrder` lists every key saved in checkpoints.
    /// - `resume`: continue from the folder's checkpoint (its config must equal this one).
    /// - `stopAfterStep`: stop (after writing a checkpoint) once this many global steps are done — an interruption.
    /// - `step(indices, rng, parameters)`: the loss of one batch, computed from the tracked `parameters`.
    /// - `evaluate`: accuracy after each epoch, from the current parameters.
    @discardableResult
    public func run(parameters: inout [String: Tensor], trainableKeys: [String], keyOrder: [String], resume: Bool,
                    stopAfterStep: Int? = nil,
                    step: (_ indices: [Int], _ rng: inout SeededRNG, _ parameters: [String: Tensor]) throws -> StepOutput,
                    evaluate: (([String: Tensor]) throws -> Double)? = nil,
                    progress: (TrainingProgress) -> Void = { _ in }) throws -> TrainingState {
        var optimizer = try Optimizer(config.optimizer)
        var state = TrainingState(config: config, label: label, step: 0, epochLossSum: 0, epochCorrect: 0, epochSeen: 0,
                                  epochSeconds: 0, history: [], parametersFile: "", optimizerFile: "", optimizerSteps: 0)
        if let folder { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        if resume, let folder, FileManager.default.fileExists(atPath: folder.appendingPathComponent(Checkpoint.stateFile).path) {
            let saved = try Checkpoint.load(from: folder)
            guard saved.state.config == config else {
                throw TrainingError.checkpoint("the checkpoint in \(folder.path) was made with other settings (epochs, batch size, seed, optimiser, schedule or augmentation); resume with the same ones")
            }
            for key in keyOrder {
                guard let stored = saved.parameters[key], let current = parameters[key], stored.shape == current.shape else {
                    throw TrainingError.checkpoint("parameter \(key) is missing from the checkpoint or has another shape")
                }
                parameters[key] = try Tensor(stored.values, shape: stored.shape)
            }
            optimizer = try Optimizer(config.optimizer, state: saved.optimizerState, steps: saved.state.optimizerSteps)
            state = saved.state
        }
        let perEpoch = batches.batchesPerEpoch
        var cachedOrder: (epoch: Int, order: [Int])?
        while state.step < totalSteps {
            let epoch = state.step / perEpoch, b = state.step % perEpoch
            if cachedOrder?.epoch != epoch { cachedOrder = (epoch, batches.order(epoch: epoch)) }
            let started = Date()
            var tracked = parameters
            for key in trainableKeys {
                guard let p = parameters[key] else { throw TrainingError.invalidSetting("trainable parameter \(key) is missing") }
                tracked[key] = p.requiringGradient()
            }
            var rng = batches.rng(step: state.step)
            let out = try step(batches.batch(b, of: cachedOrder!.order), &rng, tracked)
            guard out.loss.count == 1, out.loss.scalar.isFinite else { throw TrainingError.diverged(step: state.step) }
            let grads = try gradient(of: out.loss, wrt: trainableKeys.map { tracked[$0]! })
            let lr = config.schedule.rate(at: state.step)
            try optimizer.step(&parameters, gradients: Dictionary(uniqueKeysWithValues: zip(trainableKeys, grads)), lr: lr)
            try updateRunningStatistics(&parameters, out.statistics)
            state.step += 1
            state.epochLossSum += Double(out.loss.scalar)
            state.epochCorrect += out.correct
            state.epochSeen += out.seen
            state.epochSeconds += Date().timeIntervalSince(started)
            let done = b + 1
            progress(TrainingProgress(step: state.step, totalSteps: totalSteps, epoch: epoch, batch: done, batchesPerEpoch: perEpoch,
                                      loss: state.epochLossSum / Double(done), accuracy: Double(state.epochCorrect) / Double(max(state.epochSeen, 1)),
                                      learningRate: lr))
            let endOfEpoch = done == perEpoch
            if endOfEpoch {
                let accuracy = try evaluate?(parameters)
                state.history.append(EpochRecord(epoch: epoch, loss: state.epochLossSum / Double(perEpoch),
                                                 accuracy: Double(state.epochCorrect) / Double(max(state.epochSeen, 1)),
                                                 evaluationAccuracy: accuracy, seconds: state.epochSeconds))
                state.epochLossSum = 0; state.epochCorrect = 0; state.epochSeen = 0; state.epochSeconds = 0
            }
            let stopping = stopAfterStep.map { state.step >= $0 } ?? false
            if let folder, endOfEpoch || stopping || state.step % config.checkpointEvery == 0 || state.step == totalSteps {
                try Checkpoint.save(parameters: parameters, keyOrder: keyOrder, optimizer: optimizer, state: state,
                                    metadata: metadata, to: folder)
            }
            if stopping { break }
        }
        return state
    }

    /// running ← (1 − momentum)·running + momentum·batch, with the unbiased batch variance (as PyTorch).
    private func updateRunningStatistics(_ parameters: inout [String: Tensor], _ statistics: [String: BatchStatistics]) throws {
        let m = config.batchNormMomentum
        for (path, s) in statistics {
            guard let mean = parameters["\(path).running_mean"], let variance = parameters["\(path).running_var"] else {
                throw TrainingError.invalidSetting("batch norm \(path) has no running statistics")
            }
            let unbiased = Float(s.count) / Float(max(s.count - 1, 1))
            parameters["\(path).running_mean"] = try mean * (1 - m) + s.mean * m
            parameters["\(path).running_var"] = try variance * (1 - m) + s.variance * (m * unbiased)
        }
    }
}
