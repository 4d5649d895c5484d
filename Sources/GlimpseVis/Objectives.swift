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
        Objective(name: "logit(\(index))" + suffix(batch), layers: [], usesLogits: true) { r in
            guard !r.stoppedEarly else { throw VisError.badObjective("logit(\(index)) needs a forward pass that runs to the logits") }
            let l = try select(r.logits, batch: batch)
            guard index >= 0, index < l.shape[1] else {
                throw VisError.badObjective("class \(index) out of range 0..<\(l.shape[1])")
            }
            return try l.sliced(axis: 1, index..<(index + 1)).mean()
        }
    }

    /// A softmax class probability, averaged over the batch (Distill: the easiest way up is pushing the other classes
    /// down, so logits usually give better images).
    public static func classProbability(_ index: Int, batch: Int? = nil) -> Objective {
        Objective(name: "probability(\(index))" + suffix(batch), layers: [], usesLogits: true) { r in
            guard !r.stoppedEarly else { throw VisError.badObjective("probability(\(index)) needs a forward pass that runs to the logits") }
            let p = try select(r.logits, batch: batch).softmax(axis: 1)
            guard index >= 0, index < p.shape[1] else {
                throw VisError.badObjective("class \(index) out of range 0..<\(p.shape[1])")
            }
            return try p.sliced(axis: 1, index..<(index + 1)).mean()
        }
    }

    /// Lucid's `direction`: the mean over positions (and the batch) of `⟨a, v⟩ · max(0.1, cos(a, v))^cossimPower`,
    /// `a` the activation vector across channels at a position of `layer`, `v` a direction [C]. Power 0 is the plain
    /// dot product; the activation atlas uses 4 to favour positions that point along `v`.
    public static func direction(_ layer: String, _ vector: [Float], cossimPower: Float = 0, batch: Int? = nil) throws -> Objective {
        guard !vector.isEmpty, vector.allSatisfy(\.isFinite), vector.contains(where: { $0 != 0 }) else {
            throw VisError.badObjective("a direction must be a finite, non-zero vector")
        }
        guard cossimPower >= 0, cossimPower.isFinite else { throw VisError.badObjective("cossimPower must be >= 0, found \(cossimPower)") }
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return Objective(name: "direction(\(layer))" + suffix(batch), layers: [layer]) { r in
            let a = try select(r.layer(layer), batch: batch)
            guard a.rank >= 2, a.shape[1] == vector.count else {
                throw VisError.badObjective("the direction has \(vector.count) channels, \(layer) gives \(a.shape)")
            }
            var vShape = [Int](repeating: 1, count: a.rank)
            vShape[1] = vector.count
            let dot = try (a * Tensor(vector, shape: vShape)).sum(axes: [1], keepDims: true)
            guard cossimPower != 0 else { return try dot.mean() }
            let cosine = try dot / ((a.squared().sum(axes: [1], keepDims: true) + 1e-8).sqrt() * norm)
            return try (dot * cosine.clamped(0.1, .greatestFiniteMagnitude).pow(cossimPower)).mean()
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

    static func suffix(_ batch: Int?) -> String { batch.map { "[\($0)]" } ?? "" }

    /// Image `index` of a batched layer output (all images when nil).
    static func select(_ t: Tensor, batch index: Int?) throws -> Tensor {
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
