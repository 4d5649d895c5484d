import Foundation
import GlimpseCore
import GlimpseDefenses
import GlimpseModels
import GlimpseTraining

/// The attack/defense study on Fashion-MNIST: trains the baseline and each regularized model of the config from its
/// seed, then measures each one's test accuracy, saliency faithfulness (deletion/insertion, ADCC, cascading sanity
/// check) and robustness to PGD, ADV², AdvEdge and AdvEdge+ per interpreter with the detection defenses on top
/// (`DefenseEvaluation`).
///
/// Everything is kept in the output folder as it finishes, each file written atomically: `models/NAME/` (the training
/// run's checkpoints), `rows/NAME/model.json` (accuracy and faithfulness) and `rows/NAME/defense/*.json` (one file
/// per attack row). Running the study again resumes: finished runs and rows whose inputs are unchanged are reused,
/// and only the missing ones are computed.
public struct DefenseStudy {
    /// What the study reports while it runs.
    public enum Event {
        /// A training step of `model` finished.
        case training(model: String, TrainingProgress)
        /// `model` is trained (`reused`: its run folder already held the finished run).
        case trained(model: String, reused: Bool)
        /// A row was computed in this run (not reused): "NAME/model" or "NAME/defense/KEY".
        case computed(String)
        /// A one-line progress message.
        case note(String)
    }

    public let config: DefenseStudyConfig
    public let folder: URL
    /// Makes a model's regularizer from its name and options, as `glimpse train` does (nil: cross-entropy only).
    public let makeRegularizer: (_ name: String, _ options: [String: String]) throws -> Regularizer?

    public init(config: DefenseStudyConfig, folder: URL,
                makeRegularizer: @escaping (_ name: String, _ options: [String: String]) throws -> Regularizer?) {
        (self.config, self.folder, self.makeRegularizer) = (config, folder, makeRegularizer)
    }

    /// Runs (or resumes) the study on the Fashion-MNIST splits `train` and `test` and returns every result.
    public func run(train: LabeledImages, test: LabeledImages, events: @escaping (Event) -> Void = { _ in }) throws -> DefenseStudyReport {
        let start = Date()
        let d = config.data
        guard d.calibration + d.attacked <= test.count else {
            throw ExperimentError.badConfig("data: calibration + attacked (\(d.calibration + d.attacked)) exceed the \(test.count) test images")
        }
        let trainData = d.train.map { train.prefix($0) } ?? train
        let testData = d.test.map { test.prefix($0) } ?? test
        let calibration = test.batch(Array(0..<d.calibration)).images
        let attacked = test.batch(Array(d.calibration..<(d.calibration + d.attacked)))
        let faithful = test.batch(Array(d.calibration..<(d.calibration + d.faithfulness)))
        // Regularizers are checked before any training starts; those that read an earlier model's weights (`@NAME`)
        // are made when their turn comes, once that model is trained.
        func checkedRegularizer(_ m: DefenseStudyConfig.Model) throws -> Regularizer? {
            do { return try makeRegularizer(m.regularizer, try resolved(m)) } catch let error as ExperimentError { throw error } catch {
                throw ExperimentError.badConfig("model \(m.name): \(error)")
            }
        }
        // Made once: up front, or (reading an earlier model) when its turn comes.
        var ready: [Int: Regularizer?] = [:]
        for (i, m) in config.models.enumerated() where !(m.options ?? [:]).values.contains(where: { $0.hasPrefix("@") }) {
            ready[i] = try checkedRegularizer(m)
        }
        var results: [DefenseStudyReport.ModelResult] = []
        for (i, spec) in config.models.enumerated() {
            let regularizer = try ready[i] ?? checkedRegularizer(spec)
            let trained = try StudyTraining(config: config, model: spec, regularizer: regularizer)
                .run(on: trainData, folder: folder.appendingPathComponent("models/\(spec.name)")) { events(.training(model: spec.name, $0)) }
            events(.trained(model: spec.name, reused: trained.reused))
            let rows = folder.appendingPathComponent("rows/\(spec.name)")
            let inputs = ScoreInputs(weights: WeightDigest.of(trained.model), faithfulness: config.faithfulness, testImages: testData.count,
                                     labels: faithful.labels, seed: config.attacks.seed)
            let scores = try StoredRow<ScoreInputs, ModelScores>(url: rows.appendingPathComponent("model.json")).value(for: inputs) {
                try ModelScores.measure(trained.model, test: testData, images: faithful.images, labels: faithful.labels,
                                        state: trained.state, settings: config.faithfulness, seed: config.attacks.seed)
            }
            if scores.computed { events(.computed("\(spec.name)/model")) }
            events(.note(String(format: "%@: test accuracy %.2f%%", spec.name, 100 * scores.value.testAccuracy)))
            let defense = try DefenseEvaluation(model: trained.model, settings: config.attacks.settings)
                .run(calibration: calibration, attacked: attacked.images, labels: attacked.labels,
                     resumeFolder: rows.appendingPathComponent("defense"), progress: { events(.note("\(spec.name): \($0)")) },
                     computed: { events(.computed("\(spec.name)/defense/\($0)")) })
            results.append(.init(name: spec.name, regularizer: spec.regularizer, options: spec.options ?? [:],
                                 scores: scores.value, defense: defense))
        }
        return DefenseStudyReport(name: config.name, models: results, seconds: Date().timeIntervalSince(start))
    }

    /// What a model's scores are computed from: a stored row is reused only when all of it is unchanged.
    struct ScoreInputs: Codable, Equatable {
        var weights: String
        var faithfulness: DefenseStudyConfig.Faithfulness
        var testImages: Int
        var labels: [Int]
        var seed: UInt64
    }

    /// The model's options with every `@NAME` value replaced by the weights file of model NAME, which must come
    /// earlier in the config (e.g. Model Doctor's `doctor-model: "@baseline"` diagnoses the study's baseline).
    public func resolved(_ model: DefenseStudyConfig.Model) throws -> [String: String] {
        let earlier = config.models.prefix { $0.name != model.name }.map(\.name)
        return try (model.options ?? [:]).mapValues { value in
            guard value.hasPrefix("@") else { return value }
            let name = String(value.dropFirst())
            guard earlier.contains(name) else {
                throw ExperimentError.badConfig("model \(model.name): \(value) must name a model listed before it (\(earlier.joined(separator: ", ")))")
            }
            return folder.appendingPathComponent("models/\(name)/\(Checkpoint.modelFile)").path
        }
    }
}

/// A short fingerprint of a network's weights (FNV-1a over the bit patterns, in key order).
enum WeightDigest {
    static func of(_ model: FashionCNN) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for key in model.parameters.keys.sorted() {
            for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            for v in model.parameters[key]!.scalars { hash = (hash ^ UInt64(v.bitPattern)) &* 0x100_0000_01b3 }
        }
        return String(hash, radix: 16)
    }
}
