import GlimpseCore
import GlimpseModels

/// The objective catalogue (Lucid's `objectives.py`). `batch: i` restricts an objective to image i of the batch;
/// nil averages over the batch.
extension Objective {
    /// Mean activation of one channel over positions (Lucid's `channel`).
    public static func channel(_ layer: String, _ channel: Int, batch: Int? = nil) -> Objective {
        Objective(name: "\(layer):\(channel)" + suffix(batch), layers: [layer]) { r in
            let a = try select(r.layer(layer), batch: batch)
            try checkChannel(channel, of: a, layer: layer)
            return try a.sliced(axis: 1, channel..<(channel + 1)).mean()
        }
    }

    /// Activation of one channel at the centre position (Lucid's `neuron`; even sides take the lower/right one
    /// of the two central positions).
    public static func neuron(_ layer: String, _ channel: Int, batch: Int? = nil) -> Objective {
        Objective(name: "\(layer):\(channel)@centre" + suffix(batch), layers: [layer]) { r in
            let a = try select(r.layer(layer), batch: batch)
            guard a.rank == 4 else { throw VisError.badObjective("neuron needs a spatial layer; \(layer) is \(a.shape)") }
            try checkChannel(channel, of: a, layer: layer)
            let (y, x) = (a.shape[2] / 2, a.shape[3] / 2)
            return try a.sliced(axis: 1, channel..<(channel + 1)).sliced(axis: 2, y..<(y + 1)).sliced(axis: 3, x..<(x + 1)).mean()
        }
    }

    /// Mean squared activation of a whole layer (Lucid's `deepdream`, the "layer" objective).
    public static func deepdream(_ layer: String, batch: Int? = nil) -> Objective {
        Objective(name: "deepdream(\(layer))" + suffix(batch), layers: [layer]) { r in
            try select(r.layer(layer), batch: batch).squared().mean()
        }
    }

    /// A pre-softmax class logit (Distill: logits give better images than probabilities), averaged over the batch.
    public static func classLogit(_ index: Int, batch: Int? = nil) -> Objective {
        Objective(name: "logit(\(index))" + suffix(batch), layers: []) { r in
            let l = try select(r.logits, batch: batch)
            guard index >= 0, index < l.shape[1] else {
                throw VisError.badObjective("class \(index) out of range 0..<\(l.shape[1])")
            }
            return try l.sliced(axis: 1, index..<(index + 1)).mean()
        }
    }

    /// Batch diversity (Lucid's `diversity`, a penalty: subtract it): `Σ_{i≠j} ⟨Ĝ_i, Ĝ_j⟩ / B`, Ĝ_b the Gram matrix
    /// of image b's channels at `layer`, normalised to unit Frobenius norm. 0 for a batch of one.
    public static func diversity(_ layer: String) -> Objective {
        Objective(name: "diversity(\(layer))", layers: [layer]) { r in
            let a = try r.layer(layer)
            let (b, c) = (a.shape[0], a.shape[1])
            let flat = try a.reshaped([b, c, -1])
            let gram = try Tensor.matmul(flat, flat, transposeB: true).reshaped([b, c * c])
            let unit = try gram / (gram.squared().sum(axes: [1], keepDims: true) + 1e-12).sqrt()
            let similarity = try Tensor.matmul(unit, unit, transposeB: true)
            let offDiagonal = Tensor(shape: [b, b]) { p, n in for i in 0..<n { p[i] = i % (b + 1) == 0 ? 0 : 1 } }
            return try (similarity * offDiagonal).sum() * (1 / Float(b))
        }
    }

    private static func suffix(_ batch: Int?) -> String { batch.map { "[\($0)]" } ?? "" }

    /// Image `index` of a batched layer output (all images when nil).
    private static func select(_ t: Tensor, batch index: Int?) throws -> Tensor {
        guard let index else { return t }
        guard index >= 0, index < t.shape[0] else {
            throw VisError.badObjective("batch index \(index) out of range 0..<\(t.shape[0])")
        }
        return try t.sliced(axis: 0, index..<(index + 1))
    }

    private static func checkChannel(_ channel: Int, of a: Tensor, layer: String) throws {
        guard a.rank >= 2, channel >= 0, channel < a.shape[1] else {
            throw VisError.badObjective("channel \(channel) out of range for \(layer), which has \(a.rank >= 2 ? a.shape[1] : 0) channels")
        }
    }
}
