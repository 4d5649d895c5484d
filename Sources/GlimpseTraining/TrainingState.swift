import Foundation
import GlimpseCore
import GlimpseFormats

/// Settings of a training run; saved with every checkpoint, and a resume must use the same ones.
public struct TrainingConfig: Codable, Sendable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    public var seed: UInt64
    public var optimizer: OptimizerKind
    public var schedule: LearningRateSchedule
    public var augmentation: Augmentation
    /// Batch-norm running-average momentum (PyTorch's 0.1).
    public var batchNormMomentum: Float = 0.1
    /// A checkpoint is written every this many steps, and at the end of every epoch.
    public var checkpointEvery: Int = 200
    /// Training defense or interpretability regularizer added to the cross-entropy (nil: none).
    public var regularizer: Regularizer? = nil

    public init(epochs: Int, batchSize: Int, seed: UInt64, optimizer: OptimizerKind, schedule: LearningRateSchedule,
                augmentation: Augmentation = .none, checkpointEvery: Int = 200) throws {
        guard epochs >= 1, batchSize >= 1, checkpointEvery >= 1 else {
            throw TrainingError.invalidSetting("epochs \(epochs), batch size \(batchSize) and checkpoint interval \(checkpointEvery) must be at least 1")
        }
        self.epochs = epochs; self.batchSize = batchSize; self.seed = seed; self.optimizer = optimizer
        self.schedule = schedule; self.augmentation = augmentation; self.checkpointEvery = checkpointEvery
    }
}

/// Summary of one finished epoch.
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    /// Mean training loss and accuracy over the epoch's batches (augmented, batch-norm in training mode).
    public var loss: Double, accuracy: Double
    /// Accuracy on the evaluation set after the epoch, when one was given.
    public var evaluationAccuracy: Double?
    /// Wall-clock seconds of the epoch's training steps.
    public var seconds: Double
}

/// What `state.json` holds: enough to continue a run exactly where its last checkpoint left it.
public struct TrainingState: Codable, Sendable, Equatable {
    public var config: TrainingConfig
    /// Free-form description of what is trained (architecture, data set).
    public var label: String
    /// Global steps done.
    public var step: Int
    /// Running sums of the current epoch (so resumed epochs report the same means).
    public var epochLossSum: Double, epochCorrect: Int, epochSeen: Int, epochSeconds: Double
    public var history: [EpochRecord]
    /// File names (in the run folder) of the parameters and the optimiser state of this checkpoint.
    public var parametersFile: String, optimizerFile: String
    /// Updates the optimiser has applied.
    public var optimizerSteps: Int
}

/// Checkpoint files of a run folder: `params-<step>.safetensors`, `optimizer-<step>.safetensors`, then `state.json`
/// pointing at them, each written atomically and in that order, so a run killed at any moment resumes from a
/// consistent checkpoint. `model.safetensors` is a copy of the latest parameters for loading the model.
public enum Checkpoint {
    public static let stateFile = "state.json"
    public static let modelFile = "model.safetensors"

    /// Writes a checkpoint and removes the previous one's files.
    public static func save(parameters: [String: Tensor], keyOrder: [String], optimizer: Optimizer, state: TrainingState,
                            metadata: [String: String], to folder: URL) throws {
        var state = state
        let previous = try? load(from: folder).state
        state.parametersFile = "params-\(state.step).safetensors"
        state.optimizerFile = "optimizer-\(state.step).safetensors"
        state.optimizerSteps = optimizer.steps
        var params = StateDict()
        for key in keyOrder {
            guard let t = parameters[key] else { throw TrainingError.checkpoint("parameter \(key) is missing") }
            params.set(key, StoredTensor(shape: t.shape, values: t.scalars))
        }
        var optimizerDict = StateDict()
        for key in optimizer.state.keys.sorted() {
            optimizerDict.set(key, StoredTensor(shape: [optimizer.state[key]!.count], values: optimizer.state[key]!))
        }
        try Safetensors.write(params, metadata: metadata, to: folder.appendingPathComponent(state.parametersFile))
        try Safetensors.write(optimizerDict, to: folder.appendingPathComponent(state.optimizerFile))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(state), to: folder.appendingPathComponent(stateFile))
        try Safetensors.write(params, metadata: metadata, to: folder.appendingPathComponent(modelFile))
        if let previous, previous.step != state.step {
            for file in [previous.parametersFile, previous.optimizerFile] {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(file))
            }
        }
    }

    /// The last checkpoint of a run folder: state, parameters and optimiser state.
    public static func load(from folder: URL) throws -> (state: TrainingState, parameters: StateDict, optimizerState: [String: [Float]]) {
        let url = folder.appendingPathComponent(stateFile)
        guard FileManager.default.fileExists(atPath: url.path) else { throw TrainingError.checkpoint("no \(stateFile) in \(folder.path): nothing to resume") }
        let state: TrainingState
        do { state = try JSONDecoder().decode(TrainingState.self, from: Data(contentsOf: url)) } catch {
            throw TrainingError.checkpoint("\(url.path) is not a training state: \(error)")
        }
        let params = try Safetensors.load(contentsOf: folder.appendingPathComponent(state.parametersFile))
        let optimizerDict = try Safetensors.load(contentsOf: folder.appendingPathComponent(state.optimizerFile))
        var optimizerState: [String: [Float]] = [:]
        for key in optimizerDict.keys { optimizerState[key] = optimizerDict[key]!.values }
        return (state, params, optimizerState)
    }
}
