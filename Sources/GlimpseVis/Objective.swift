import GlimpseCore
import GlimpseModels

/// A quantity to maximise, computed from a forward pass; objectives compose with `+`, `−` and scalar `*`.
/// Sign convention: objectives are maximised; the renderer minimises `−objective`.
public struct Objective {
    /// Layers the objective reads.
    public let layers: Set<String>
    /// Human-readable description ("_blocks.10:7").
    public let name: String
    let evaluate: (ForwardResult) throws -> Tensor

    public init(name: String, layers: Set<String>, evaluate: @escaping (ForwardResult) throws -> Tensor) {
        self.name = name
        self.layers = layers
        self.evaluate = evaluate
    }

    /// The objective's value (a scalar tensor) on a forward result.
    public func value(_ result: ForwardResult) throws -> Tensor { try evaluate(result) }

    /// Picks batch item `index` of a layer output (all items when nil).
    static func select(_ t: Tensor, batch index: Int?) throws -> Tensor {
        guard let index else { return t }
        guard index >= 0, index < t.shape[0] else { throw VisError.badObjective("batch index \(index) out of range 0..<\(t.shape[0])") }
        return try t.sliced(axis: 0, index..<(index + 1))
    }

    /// Mean activation of one channel (Lucid's `channel`).
    public static func channel(_ layer: String, _ channel: Int, batch: Int? = nil) -> Objective {
        Objective(name: "\(layer):\(channel)", layers: [layer]) { r in
            let a = try select(r.layer(layer), batch: batch)
            guard a.rank >= 2, channel >= 0, channel < a.shape[1] else {
                throw VisError.badObjective("channel \(channel) out of range for layer \(layer) with shape \(a.shape)")
            }
            return try a.sliced(axis: 1, channel..<(channel + 1)).mean()
        }
    }

    /// Activation of one channel at the centre position (Lucid's `neuron`; even sizes take the lower-right of the centre).
    public static func neuron(_ layer: String, _ channel: Int, batch: Int? = nil) -> Objective {
        Objective(name: "\(layer):\(channel)@centre", layers: [layer]) { r in
            let a = try select(r.layer(layer), batch: batch)
            guard a.rank == 4, channel >= 0, channel < a.shape[1] else {
                throw VisError.badObjective("neuron: channel \(channel) out of range for layer \(layer) with shape \(a.shape)")
            }
            let (y, x) = (a.shape[2] / 2, a.shape[3] / 2)
            return try a.sliced(axis: 1, channel..<(channel + 1)).sliced(axis: 2, y..<(y + 1)).sliced(axis: 3, x..<(x + 1)).mean()
        }
    }

    /// Mean squared activation of a whole layer (DeepDream).
    public static func deepdream(_ layer: String, batch: Int? = nil) -> Objective {
        Objective(name: "deepdream(\(layer))", layers: [layer]) { r in try select(r.layer(layer), batch: batch).squared().mean() }
    }

    /// A class logit (pre-softmax).
    public static func classLogit(_ index: Int, batch: Int? = nil) -> Objective {
        Objective(name: "logit \(index)", layers: []) { r in
            let l = try select(r.logits, batch: batch)
            guard index >= 0, index < l.shape[1] else { throw VisError.badObjective("class \(index) out of range") }
            return try l.sliced(axis: 1, index..<(index + 1)).mean()
        }
    }

    /// Diversity penalty: mean pairwise cosine similarity of the per-image Gram matrices of a layer (to be subtracted).
    public static func diversity(_ layer: String) -> Objective {
        Objective(name: "diversity(\(layer))", layers: [layer]) { r in
            let a = try r.layer(layer)
            let (b, c) = (a.shape[0], a.shape[1])
            guard b >= 2 else { return Tensor(scalar: 0) }
            let flat = try a.reshaped([b, c, -1])
            let gram = try Tensor.matmul(flat, flat, transposeB: true).reshaped([b, c * c])
            let unit = try gram / (gram.squared().sum(axes: [1], keepDims: true) + 1e-12).sqrt()
            let sim = try Tensor.matmul(unit, unit, transposeB: true)        // [b, b]
            let offDiagonal = try sim.sum() - sim.scalars.enumerated().filter { $0.offset % (b + 1) == 0 }.reduce(0) { $0 + $1.element }
            return offDiagonal * (1 / Float(b))
        }
    }

    /// Parses `"layer:channel"` (a channel objective) or `"layer"` (DeepDream).
    public static func parse(_ text: String, batch: Int? = nil) throws -> Objective {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 1, !text.isEmpty { return .deepdream(text, batch: batch) }
        guard parts.count == 2, !parts[0].isEmpty, let c = Int(parts[1]), c >= 0 else {
            throw VisError.badObjective("'\(text)' is not \"layer:channel\" (e.g. \"_blocks.10:7\")")
        }
        return .channel(String(parts[0]), c, batch: batch)
    }

    public static func + (a: Objective, b: Objective) -> Objective {
        Objective(name: "\(a.name) + \(b.name)", layers: a.layers.union(b.layers)) { r in try a.evaluate(r) + b.evaluate(r) }
    }
    public static func - (a: Objective, b: Objective) -> Objective {
        Objective(name: "\(a.name) − \(b.name)", layers: a.layers.union(b.layers)) { r in try a.evaluate(r) - b.evaluate(r) }
    }
    public static func * (k: Float, a: Objective) -> Objective {
        Objective(name: "\(k)·\(a.name)", layers: a.layers) { r in try a.evaluate(r) * k }
    }
}
