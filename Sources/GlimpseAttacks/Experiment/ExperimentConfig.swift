import Foundation
import Yams

/// An experiment: every (model, image, interpreter, method) combination, attacked with shared settings.
///
/// YAML example (`Docs/ATTACKS.md` has the full list of keys):
/// ```yaml
/// models: [efficientnet-lite0]
/// images: [~/.cache/glimpse/photos/chelsea.png, ~/.cache/glimpse/photos/coffee.png]
/// interpreters: [grad, cam, gradcam]
/// methods: [clean, pgd, adv2, advedge, advedge+]
/// preset: quick
/// seed: 0
/// output: results/quick.jsonl
/// ```
/// Relative paths are relative to the config file; `~` is the home folder. Each image's true class is the model's
/// top-1 class on the clean image.
public struct ExperimentConfig: Codable, Sendable, Equatable {
    public var models: [String]
    /// Weights per model name (default: the model's default weights).
    public var weights: [String: String]?
    public var images: [String]
    public var interpreters: [String]
    public var methods: [AttackMethod]
    public var preset: AttackPreset
    public var eps: Float?
    public var alpha: Float?
    public var steps: Int?
    public var warmStartSteps: Int?
    public var edgeStages: EdgeStages?
    public var goal: GoalSetting?
    public var seed: UInt64?
    /// Masker folder of the "rts" interpreter (`glimpse masker train`).
    public var masker: String?
    /// Interpreter attacks: factor on the preset's interpretation weights c.
    public var mapWeightScale: Float?
    /// The Grad interpreter's surrogate τ (default 1e-4).
    public var gradTau: Float?
    /// Frameworks the interpreter attacks run in (default: [pgd]); classifier attacks run once.
    public var frameworks: [AttackFramework]?
    /// JSON-lines results file (default: the config's name with `.jsonl`).
    public var output: String?

    /// Reads and checks a YAML config; relative paths are resolved against its folder.
    public static func load(contentsOf url: URL) throws -> ExperimentConfig {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw AttackError.badParameter("cannot read experiment config \(url.path): \(error.localizedDescription)")
        }
        var config: ExperimentConfig
        do { config = try YAMLDecoder().decode(ExperimentConfig.self, from: text) } catch {
            throw AttackError.badParameter("experiment config \(url.lastPathComponent): \(ExperimentConfig.describe(error))")
        }
        let base = url.deletingLastPathComponent()
        config.images = config.images.map { resolve($0, base) }
        config.weights = config.weights?.mapValues { resolve($0, base) }
        config.masker = config.masker.map { resolve($0, base) }
        config.output = resolve(config.output ?? url.deletingPathExtension().lastPathComponent + ".jsonl", base)
        try config.check()
        return config
    }

    /// Throws on empty lists, unknown interpreters and impossible combinations.
    public func check() throws {
        guard !models.isEmpty, !images.isEmpty, !interpreters.isEmpty, !methods.isEmpty else {
            throw AttackError.badParameter("experiment config needs non-empty models, images, interpreters and methods")
        }
        for name in interpreters { try AttackSettings.checkInterpreter(name, masker: masker) }
        if let frameworks, frameworks.isEmpty { throw AttackError.badParameter("experiment config: frameworks must not be empty when given") }
        if goal == .untargeted, methods.contains(where: { $0.interpreterMethod != nil || $0 == .clean }) {
            throw AttackError.badParameter("interpreter attacks and the clean baseline need a targeted goal, not untargeted")
        }
    }

    /// The settings of one method against one interpreter.
    public func settings(method: AttackMethod, interpreter: String, framework: AttackFramework = .pgd) -> AttackSettings {
        AttackSettings(method: method, interpreter: interpreter, preset: preset, eps: eps, alpha: alpha, steps: steps,
                       warmStartSteps: warmStartSteps, edgeStages: edgeStages ?? .warmStart, goal: goal ?? .random, seed: seed ?? 0, masker: masker, framework: framework,
                       mapWeightScale: mapWeightScale, gradTau: gradTau)
    }

    private static func resolve(_ path: String, _ base: URL) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        return expanded.hasPrefix("/") ? expanded : base.appendingPathComponent(expanded).standardizedFileURL.path
    }

    /// A one-line description of a decoding error (the key path and what was wrong).
    static func describe(_ error: Error) -> String {
        switch error {
        case let DecodingError.keyNotFound(key, _): return "missing key '\(key.stringValue)'"
        case let DecodingError.typeMismatch(_, c), let DecodingError.valueNotFound(_, c), let DecodingError.dataCorrupted(c):
            let path = c.codingPath.map(\.stringValue).joined(separator: ".")
            return (path.isEmpty ? "" : "'\(path)': ") + c.debugDescription
        default: return "\(error)"
        }
    }
}
