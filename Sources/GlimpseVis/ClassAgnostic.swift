import GlimpseCore
import GlimpseModels

/// The class-agnostic dual objective of "The Mind's Eye" (Stergiou, ICIP 2021), as a value of the objective algebra.
extension Objective {
    /// `Σ_{c∈S} a[c]·t[c] − distanceWeight · mean_c ρ(a[c] − t[c])`, to maximise, where `a` is the global-average-pooled
    /// activation of `layer` for the synthesised image, `t` the target (pooled activations of real images), `S` the
    /// `topK` channels with the largest target values, and `ρ(x) = √(x² + 1) − 1` the Charbonnier loss (what the
    /// reference's adaptive robust loss reduces to, since it is re-created with α = 1, c = 1 at every step).
    /// The first term pushes the strongest channels of the target up; the second keeps the whole pooled feature vector
    /// near the target. `batch` selects the synthesised image (nil: the mean over the batch of each image's term).
    public static func classAgnostic(_ layer: String, target: [Float], topK: Int = 50, distanceWeight: Float = 1,
                                     batch: Int? = nil) throws -> Objective {
        guard !target.isEmpty, target.allSatisfy(\.isFinite) else { throw VisError.badObjective("the target vector must be finite and non-empty") }
        guard topK >= 1 else { throw VisError.badObjective("topK must be >= 1, found \(topK)") }
        guard distanceWeight >= 0 else { throw VisError.badObjective("the distance weight must be >= 0, found \(distanceWeight)") }
        let strongest = Set(target.indices.sorted { (target[$0], $1) > (target[$1], $0) }.prefix(topK))
        let masked = target.indices.map { strongest.contains($0) ? target[$0] : 0 }
        let c = target.count
        return Objective(name: "class-agnostic(\(layer), top \(topK))" + suffix(batch), layers: [layer]) { r in
            let a = try select(r.layer(layer), batch: batch)
            guard a.rank == 4, a.shape[1] == c else {
                throw VisError.badObjective("the target has \(c) channels, \(layer) gives \(a.shape)")
            }
            let pooled = try a.mean(axes: [2, 3])                                       // [B, C]
            let n = Float(pooled.shape[0])
            let dot = try (pooled * Tensor(masked, shape: [1, c])).sum() * (1 / n)
            let diff = try pooled - Tensor(target, shape: [1, c])
            let charbonnier = try ((diff.squared() + 1).sqrt() - 1).mean()
            return try dot - charbonnier * distanceWeight
        }
    }

    /// Mean absolute activation of a layer (the L1 sparsity penalty of Mind's Eye: subtract λ times it).
    public static func meanAbs(_ layer: String, batch: Int? = nil) -> Objective {
        Objective(name: "L1(\(layer))" + suffix(batch), layers: [layer]) { r in
            try select(r.layer(layer), batch: batch).abs().mean()
        }
    }
}
