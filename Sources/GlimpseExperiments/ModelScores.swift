import GlimpseCore
import GlimpseMetrics
import GlimpseModels
import GlimpseSaliency
import GlimpseTraining

/// A trained model's test accuracy and, per saliency method, its faithfulness scores (means over the images).
public struct ModelScores: Codable, Sendable, Equatable {
    /// Means of one saliency method's metrics over the faithfulness images.
    public struct Faithfulness: Codable, Sendable, Equatable {
        public var method: String
        public var images: Int
        /// Deletion AUC (lower is better) and insertion AUC (higher is better) of the class probability.
        public var deletion: Double, insertion: Double
        /// ADCC (Poppi et al.; higher is better).
        public var adcc: Double
        /// Spearman ρ of |map| between the trained model and the model with every layer re-initialised (cascading
        /// randomization, last stage); nil when the sanity check is off. Lower means the map depends on the weights.
        public var sanityLastStage: Double?
    }

    public var testAccuracy: Double
    public var testImages: Int
    /// Training steps done and wall-clock seconds of training (over every session of a resumed run).
    public var trainingSteps: Int
    public var trainingSeconds: Double
    public var faithfulness: [Faithfulness]

    /// Cascading-randomization stages of the Fashion-MNIST CNN, from the top: fc, conv3, conv2, conv1.
    static let fashionStages = ["fc", "conv3", "conv2", "conv1"].map { SanityCheck.Stage(name: $0, prefixes: [$0 + "."]) }

    /// Measures `model` on `test` (accuracy) and on the images `x` [N, 1, 28, 28] with their `labels` (faithfulness
    /// of each method's map for the true class).
    static func measure(_ model: FashionCNN, test: LabeledImages, images x: Tensor, labels: [Int], state: TrainingState,
                        settings: DefenseStudyConfig.Faithfulness, seed: UInt64) throws -> ModelScores {
        var metrics: Set<Metric> = [.deletion, .insertion, .adcc]
        if settings.sanity { metrics.insert(.sanity) }
        var evaluator = Evaluator(model: model, metrics: metrics)
        evaluator.deletionInsertion = DeletionInsertion(step: settings.deletionStep)
        evaluator.stateDict = model.stateDict()
        evaluator.sanityStages = fashionStages
        evaluator.seed = seed
        var rows: [Faithfulness] = []
        for name in labels.isEmpty ? [] : settings.methods {
            let spec = try SaliencySpec(parsing: name)
            var records: [EvaluationRecord] = []
            for (i, label) in labels.enumerated() {
                records.append(try evaluator.evaluate(spec, image: "test-\(i)", x.sliced(axis: 0, i..<(i + 1)), classIndex: label))
            }
            func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }
            rows.append(Faithfulness(method: spec.description, images: records.count, deletion: mean(records.compactMap(\.deletion)),
                                     insertion: mean(records.compactMap(\.insertion)), adcc: mean(records.compactMap(\.adcc)),
                                     sanityLastStage: settings.sanity ? mean(records.compactMap { $0.sanity?.last?.spearmanAbs }) : nil))
        }
        return ModelScores(testAccuracy: try ClassifierTraining.accuracy(of: model, on: test), testImages: test.count,
                           trainingSteps: state.step, trainingSeconds: state.history.reduce(0) { $0 + $1.seconds } + state.epochSeconds,
                           faithfulness: rows)
    }
}
