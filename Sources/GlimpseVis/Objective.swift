import GlimpseCore
import GlimpseModels

/// A quantity computed from a forward pass, composable with `+`, `−` and scalar `*`.
///
/// Sign convention (Lucid's): objectives are **maximised**. The renderer minimises the loss `−objective`;
/// penalties are subtracted (`channel − 100 · diversity`).
public struct Objective {
    /// Layers the objective reads (captured during the forward pass).
    public let layers: Set<String>
    /// Human-readable description ("_blocks.10:7").
    public let name: String
    /// Whether the objective reads the logits (then the forward pass must run to the end).
    public let usesLogits: Bool
    private let evaluate: (ForwardResult) throws -> Tensor

    /// An objective reading `layers` (and the logits if `usesLogits`) and computing a scalar tensor from a forward result.
    public init(name: String, layers: Set<String>, usesLogits: Bool = false, evaluate: @escaping (ForwardResult) throws -> Tensor) {
        self.name = name
        self.layers = layers
        self.usesLogits = usesLogits
        self.evaluate = evaluate
    }

    /// Runs `model` on `x` for this objective: captures its layers and stops after the deepest one unless the
    /// logits are needed.
    public func forward(_ model: any Classifier, _ x: Tensor) throws -> ForwardResult {
        try model.run(x, capturing: layers, stoppingEarly: !usesLogits)
    }

    /// The objective's value (a scalar tensor, differentiable) on a forward result.
    public func value(_ result: ForwardResult) throws -> Tensor { try evaluate(result) }

    /// Parses `"layer:channel"` (a channel objective), `"layer"` (DeepDream), `"logit:K"` or `"prob:K"` (a class
    /// logit or probability), as the CLI takes them.
    public static func parse(_ text: String, batch: Int? = nil) throws -> Objective {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2, parts[0] == "logit" || parts[0] == "prob" {
            guard let k = Int(parts[1]), k >= 0 else { throw VisError.badObjective("'\(text)': the class must be an integer >= 0") }
            return parts[0] == "logit" ? .classLogit(k, batch: batch) : .classProbability(k, batch: batch)
        }
        if parts.count == 1, !text.isEmpty { return .deepdream(text, batch: batch) }
        guard parts.count == 2, !parts[0].isEmpty, let c = Int(parts[1]), c >= 0 else {
            throw VisError.badObjective("'\(text)' is not \"layer:channel\" (e.g. \"_blocks.10:7\") or \"layer\"")
        }
        return .channel(String(parts[0]), c, batch: batch)
    }

    public static func + (a: Objective, b: Objective) -> Objective {
        Objective(name: "\(a.name) + \(b.name)", layers: a.layers.union(b.layers),
                  usesLogits: a.usesLogits || b.usesLogits) { r in try a.evaluate(r) + b.evaluate(r) }
    }

    public static func - (a: Objective, b: Objective) -> Objective {
        Objective(name: "\(a.name) - \(b.name)", layers: a.layers.union(b.layers),
                  usesLogits: a.usesLogits || b.usesLogits) { r in try a.evaluate(r) - b.evaluate(r) }
    }

    public static func * (k: Float, a: Objective) -> Objective {
        Objective(name: "\(k) * (\(a.name))", layers: a.layers, usesLogits: a.usesLogits) { r in try a.evaluate(r) * k }
    }
}
