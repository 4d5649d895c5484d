import Foundation
import GlimpseModels
import GlimpseTraining

/// Trains one model of a defense study into its run folder with `glimpse train`'s recipe, or continues or reuses the
/// run already there (checkpoints are atomic and a resumed run ends with the weights of an uninterrupted one).
struct StudyTraining {
    let config: DefenseStudyConfig
    let model: DefenseStudyConfig.Model
    let regularizer: Regularizer?

    /// The recipe's settings for `exampleCount` training images.
    func trainingConfig(exampleCount: Int) throws -> TrainingConfig {
        let t = config.training
        var c = try FashionMNISTRecipe.config(epochs: model.epochs ?? t.epochs, exampleCount: exampleCount, seed: t.seed,
                                              batchSize: t.batchSize, optimizer: FashionMNISTRecipe.OptimizerChoice(rawValue: t.optimizer) ?? .adamw,
                                              learningRate: t.learningRate)
        c.regularizer = regularizer
        return c
    }

    /// The trained network, its final state, and whether the run folder already held the finished run.
    func run(on data: LabeledImages, folder: URL, progress: (TrainingProgress) -> Void) throws
        -> (model: FashionCNN, state: TrainingState, reused: Bool) {
        let trainingConfig = try trainingConfig(exampleCount: data.count)
        let network = try FashionCNN(stateDict: FashionCNN.initialStateDict(widths: config.training.widths ?? FashionCNN.defaultWidths,
                                                                            seed: config.training.seed))
        let stepsBefore = (try? Checkpoint.load(from: folder))?.state.step
        let state: TrainingState
        do {
            state = try ClassifierTraining.train(network, on: data, config: trainingConfig, folder: folder, resume: true, progress: progress)
        } catch let TrainingError.checkpoint(message) {
            throw ExperimentError.badResults("model \(model.name): \(message) (or delete \(folder.path) to retrain)")
        }
        return (network, state, stepsBefore == state.step)
    }
}
