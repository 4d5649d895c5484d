import Foundation
import GlimpseAttacks
import GlimpseDefenses
import GlimpseSaliency
import GlimpseTraining
import Yams

/// The defense study: which Fashion-MNIST models to train (the baseline and each training defense or regularizer, by
/// name), on how much data, and how to evaluate them. Read from YAML; every key but `models` has a default.
///
/// ```yaml
/// name: quick
/// data: {train: 6000, test: 10000, calibration: 200, attacked: 50, faithfulness: 20}
/// training: {epochs: 1, batchSize: 128, seed: 0}
/// models:
///   - {name: baseline, regularizer: none}
///   - {name: adversarial, regularizer: adversarial, options: {adv-steps: 3}}
///   - {name: gbp-align, regularizer: gbp-align}
/// faithfulness: {methods: [vanilla, gradcam], deletionStep: 28, sanity: true}
/// attacks: {eps: 0.1, epsSweep: [0.05, 0.1, 0.2], pgdSteps: 10, preset: quick, interpreters: [grad, cam, gradcam]}
/// ```
/// A model's `regularizer` and `options` are the `--regularizer` value and the other regularizer options of
/// `glimpse train` (without the dashes in front), so a new regularizer needs only a new model line.
public struct DefenseStudyConfig: Codable, Sendable, Equatable {
    /// How many Fashion-MNIST images each part uses. Calibration images are the first test images, the attacked ones
    /// the next `attacked`, the faithfulness images the first `faithfulness` of those.
    public struct DataSizes: Codable, Sendable, Equatable {
        /// Training images (the first ones of the training split; nil: all 60000).
        public var train: Int?
        /// Test images for the test accuracy (nil: all 10000).
        public var test: Int?
        public var calibration: Int = 200
        public var attacked: Int = 100
        public var faithfulness: Int = 20

        public init() {}

        /// Missing keys take their defaults; unknown keys are an error.
        public init(from decoder: Decoder) throws {
            try ConfigKeys.rejectUnknown(decoder, CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            var v = Self()
            v.train = try c.decodeIfPresent(Int.self, forKey: .train)
            v.test = try c.decodeIfPresent(Int.self, forKey: .test)
            v.calibration = try c.decodeIfPresent(type(of: v.calibration).self, forKey: .calibration) ?? v.calibration
            v.attacked = try c.decodeIfPresent(type(of: v.attacked).self, forKey: .attacked) ?? v.attacked
            v.faithfulness = try c.decodeIfPresent(type(of: v.faithfulness).self, forKey: .faithfulness) ?? v.faithfulness
            self = v
        }
    }

    /// The recipe of `glimpse train` shared by every model.
    public struct Training: Codable, Sendable, Equatable {
        public var epochs: Int = 1
        public var batchSize: Int = 128
        public var seed: UInt64 = 0
        /// adam, adamw or sgd.
        public var optimizer: String = "adamw"
        /// Peak learning rate (nil: the recipe's default).
        public var learningRate: Float?
        public var widths: [Int]?

        public init() {}

        /// Missing keys take their defaults; unknown keys are an error.
        public init(from decoder: Decoder) throws {
            try ConfigKeys.rejectUnknown(decoder, CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            var v = Self()
            v.epochs = try c.decodeIfPresent(type(of: v.epochs).self, forKey: .epochs) ?? v.epochs
            v.batchSize = try c.decodeIfPresent(type(of: v.batchSize).self, forKey: .batchSize) ?? v.batchSize
            v.seed = try c.decodeIfPresent(type(of: v.seed).self, forKey: .seed) ?? v.seed
            v.optimizer = try c.decodeIfPresent(type(of: v.optimizer).self, forKey: .optimizer) ?? v.optimizer
            v.learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate)
            v.widths = try c.decodeIfPresent([Int].self, forKey: .widths)
            self = v
        }
    }

    /// One model to train: a name (its folder and table label), a regularizer name and its options.
    public struct Model: Codable, Sendable, Equatable {
        public var name: String
        /// `glimpse train --regularizer` value: none, adversarial, gbp-align, cgc, ...
        public var regularizer: String
        /// Regularizer options by their `glimpse train` name without dashes (adv-steps, align-weight, ...).
        public var options: [String: String]?
        /// Epochs for this model (nil: `training.epochs`).
        public var epochs: Int?

        public init(name: String, regularizer: String, options: [String: String]? = nil, epochs: Int? = nil) {
            (self.name, self.regularizer, self.options, self.epochs) = (name, regularizer, options, epochs)
        }

        /// Option values may be written as numbers or words; unknown keys are an error.
        public init(from decoder: Decoder) throws {
            try ConfigKeys.rejectUnknown(decoder, CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            regularizer = try c.decodeIfPresent(String.self, forKey: .regularizer) ?? "none"
            options = try c.decodeIfPresent([String: ConfigKeys.Scalar].self, forKey: .options)?.mapValues(\.text)
            epochs = try c.decodeIfPresent(Int.self, forKey: .epochs)
        }
    }

    /// Saliency faithfulness of each model (GlimpseMetrics).
    public struct Faithfulness: Codable, Sendable, Equatable {
        /// Saliency methods as `glimpse saliency` names them.
        public var methods: [String] = ["vanilla", "gradcam"]
        /// Pixels removed or inserted per deletion/insertion step.
        public var deletionStep: Int = 28
        /// Cascading randomization (fc, conv3, conv2, conv1).
        public var sanity: Bool = true

        public init() {}

        /// Missing keys take their defaults; unknown keys are an error.
        public init(from decoder: Decoder) throws {
            try ConfigKeys.rejectUnknown(decoder, CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            var v = Self()
            v.methods = try c.decodeIfPresent(type(of: v.methods).self, forKey: .methods) ?? v.methods
            v.deletionStep = try c.decodeIfPresent(type(of: v.deletionStep).self, forKey: .deletionStep) ?? v.deletionStep
            v.sanity = try c.decodeIfPresent(type(of: v.sanity).self, forKey: .sanity) ?? v.sanity
            self = v
        }
    }

    /// The attacks and detection defenses run on each model (`DefenseEvaluation.Settings`).
    public struct Attacks: Codable, Sendable, Equatable {
        public var eps: Float = 0.1
        public var epsSweep: [Float] = [0.02, 0.05, 0.1, 0.2]
        public var pgdSteps: Int = 20
        public var preset: AttackPreset = .quick
        public var interpreters: [String] = ["grad", "cam", "gradcam"]
        public var adaptiveC: Float = 1
        public var squeezers: [String] = ["bits:1", "median:2"]
        public var transforms: [String] = ["bits:4", "median:2", "jpeg:75", "gaussian:1"]
        public var falsePositiveRate: Double = 0.05
        public var seed: UInt64 = 0

        public init() {}

        /// Missing keys take their defaults; unknown keys are an error.
        public init(from decoder: Decoder) throws {
            try ConfigKeys.rejectUnknown(decoder, CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            var v = Self()
            v.eps = try c.decodeIfPresent(type(of: v.eps).self, forKey: .eps) ?? v.eps
            v.epsSweep = try c.decodeIfPresent(type(of: v.epsSweep).self, forKey: .epsSweep) ?? v.epsSweep
            v.pgdSteps = try c.decodeIfPresent(type(of: v.pgdSteps).self, forKey: .pgdSteps) ?? v.pgdSteps
            v.preset = try c.decodeIfPresent(type(of: v.preset).self, forKey: .preset) ?? v.preset
            v.interpreters = try c.decodeIfPresent(type(of: v.interpreters).self, forKey: .interpreters) ?? v.interpreters
            v.adaptiveC = try c.decodeIfPresent(type(of: v.adaptiveC).self, forKey: .adaptiveC) ?? v.adaptiveC
            v.squeezers = try c.decodeIfPresent(type(of: v.squeezers).self, forKey: .squeezers) ?? v.squeezers
            v.transforms = try c.decodeIfPresent(type(of: v.transforms).self, forKey: .transforms) ?? v.transforms
            v.falsePositiveRate = try c.decodeIfPresent(type(of: v.falsePositiveRate).self, forKey: .falsePositiveRate) ?? v.falsePositiveRate
            v.seed = try c.decodeIfPresent(type(of: v.seed).self, forKey: .seed) ?? v.seed
            self = v
        }

        /// The same settings for `DefenseEvaluation`.
        public var settings: DefenseEvaluation.Settings {
            var s = DefenseEvaluation.Settings()
            (s.eps, s.epsSweep, s.pgdSteps, s.interpreterPreset, s.interpreters) = (eps, epsSweep, pgdSteps, preset, interpreters)
            (s.adaptiveC, s.squeezers, s.transforms, s.falsePositiveRate, s.seed) = (adaptiveC, squeezers, transforms, falsePositiveRate, seed)
            return s
        }
    }

    public var name: String
    public var data = DataSizes()
    public var training = Training()
    public var models: [Model]
    public var faithfulness = Faithfulness()
    public var attacks = Attacks()

    public init(name: String, models: [Model]) { (self.name, self.models) = (name, models) }

    enum CodingKeys: String, CodingKey { case name, data, training, models, faithfulness, attacks }

    /// Missing sections and keys take their defaults.
    public init(from decoder: Decoder) throws {
        try ConfigKeys.rejectUnknown(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? "defenses"
        models = try c.decode([Model].self, forKey: .models)
        data = try c.decodeIfPresent(DataSizes.self, forKey: .data) ?? DataSizes()
        training = try c.decodeIfPresent(Training.self, forKey: .training) ?? Training()
        faithfulness = try c.decodeIfPresent(Faithfulness.self, forKey: .faithfulness) ?? Faithfulness()
        attacks = try c.decodeIfPresent(Attacks.self, forKey: .attacks) ?? Attacks()
    }

    /// Reads and checks a YAML config.
    public static func load(contentsOf url: URL) throws -> DefenseStudyConfig {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ExperimentError.badConfig("cannot read \(url.path): \(error.localizedDescription)")
        }
        return try parse(text, name: url.lastPathComponent)
    }

    /// Decodes and checks YAML text (`name` labels errors).
    public static func parse(_ text: String, name: String = "config") throws -> DefenseStudyConfig {
        let config: DefenseStudyConfig
        do { config = try YAMLDecoder().decode(DefenseStudyConfig.self, from: text) } catch {
            throw ExperimentError.badConfig("\(name): \(describe(error))")
        }
        try config.check()
        return config
    }

    /// Throws `ExperimentError.badConfig` for empty or duplicate models, unusable names and out-of-range sizes.
    public func check() throws {
        func fail(_ s: String) -> ExperimentError { .badConfig(s) }
        guard !models.isEmpty else { throw fail("the config lists no models") }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_+.")
        for m in models {
            guard !m.name.isEmpty, !m.name.hasPrefix("."), m.name.allSatisfy(allowed.contains) else {
                throw fail("model name '\(m.name)' must be letters, digits and - _ + . (it names a folder)")
            }
            guard (m.epochs ?? 1) >= 1 else { throw fail("model \(m.name): epochs must be at least 1") }
        }
        guard Set(models.map(\.name)).count == models.count else { throw fail("model names must be unique") }
        guard (data.train ?? 1) >= 1, (data.test ?? 1) >= 1, data.calibration >= 2, data.attacked >= 1,
              data.faithfulness >= 0, data.faithfulness <= data.attacked else {
            throw fail("data: train and test ≥ 1, calibration ≥ 2, attacked ≥ 1 and 0 ≤ faithfulness ≤ attacked")
        }
        guard FashionMNISTRecipe.OptimizerChoice(rawValue: training.optimizer) != nil else {
            throw fail("training.optimizer '\(training.optimizer)' is not adam, adamw or sgd")
        }
        guard training.epochs >= 1, training.batchSize >= 1 else { throw fail("training: epochs and batchSize must be at least 1") }
        guard training.widths.map({ $0.count == 3 && $0.allSatisfy { $0 >= 1 } }) ?? true else {
            throw fail("training.widths needs three positive integers")
        }
        guard faithfulness.deletionStep >= 1 else { throw fail("faithfulness.deletionStep must be at least 1") }
        for m in faithfulness.methods {
            do { _ = try SaliencySpec(parsing: m) } catch { throw fail("faithfulness: unknown saliency method '\(m)'") }
        }
        for name in attacks.interpreters {
            do { _ = try AttackSettings.interpreter(named: name) } catch { throw fail("attacks: \(error)") }
        }
        for t in attacks.squeezers + attacks.transforms {
            do { _ = try InputTransform(parsing: t) } catch { throw fail("attacks: \(error)") }
        }
        guard attacks.eps > 0, attacks.eps <= 1, attacks.epsSweep.allSatisfy({ $0 > 0 && $0 <= 1 }), attacks.pgdSteps >= 1,
              attacks.adaptiveC >= 0, attacks.falsePositiveRate > 0, attacks.falsePositiveRate < 1 else {
            throw fail("attacks: eps values in (0, 1], pgdSteps ≥ 1, adaptiveC ≥ 0 and falsePositiveRate in (0, 1)")
        }
    }

    /// A one-line description of a decoding error (the key path and what was wrong).
    static func describe(_ error: Error) -> String {
        switch error {
        case let DecodingError.keyNotFound(key, c):
            let path = (c.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            return "missing key '\(path)'"
        case let DecodingError.typeMismatch(_, c), let DecodingError.valueNotFound(_, c), let DecodingError.dataCorrupted(c):
            let path = c.codingPath.map(\.stringValue).joined(separator: ".")
            return (path.isEmpty ? "" : "'\(path)': ") + c.debugDescription
        default: return "\(error)"
        }
    }
}
