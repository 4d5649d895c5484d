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
    private let evaluate: (ForwardResult) throws -> Tensor

    /// An objective reading `layers` and computing a scalar tensor from a forward result.
    public init(name: String, layers: Set<String>, evaluate: @escaping (ForwardResult) throws -> Tensor) {
        self.name = name
        self.layers = layers
        self.evaluate = evaluate
    }

    /// The objective's value (a scalar tensor, differentiable) on a forward result.
    public func value(_ result: ForwardResult) throws -> Tensor { try evaluate(result) }

    /// Parses `"layer:channel"` (a channel objective) or `"layer"` (DeepDream), as the CLI takes them.
    public static func parse(_ text: String, batch: Int? = nil) throws -> Objective {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 1, !text.isEmpty { return .deepdream(text, batch: batch) }
        guard parts.count == 2, !parts[0].isEmpty, let c = Int(parts[1]), c >= 0 else {
            throw VisError.badObjective("'\(text)' is not \"layer:channel\" (e.g. \"_blocks.10:7\") or \"layer\"")
        }
        return .channel(String(parts[0]), c, batch: batch)
    }

    public static func + (a: Objective, b: Objective) -> Objective {
        Objective(name: "\(a.name) + \(b.name)", layers: a.layers.union(b.layers)) { r in try a.evaluate(r) + b.evaluate(r) }
    }

    public static func - (a: Objective, b: Objective) -> Objective {
        Objective(name: "\(a.name) - \(b.name)", layers: a.layers.union(b.layers)) { r in try a.evaluate(r) - b.evaluate(r) }
    }

    public static func * (k: Float, a: Objective) -> Objective {
        Objective(name: "\(k) * (\(a.name))", layers: a.layers) { r in try a.evaluate(r) * k }
    }
}
