import GlimpseCore

/// Shap-CAM (Zheng et al., ECCV 2022): the map at each position of the layer is that position's Shapley value in
/// the cooperative game whose players are the h·w positions and whose value v(S) is the target when only the
/// positions in S keep their activations (the others are replaced by each channel's spatial mean). No official
/// code exists; Glimpse follows the published description and the common reimplementation's removal value,
/// and estimates the values by Monte-Carlo permutation sampling: for each of `permutations` seeded random orders,
/// positions are added one at a time and each is credited with the change of v. Each permutation is exact in
/// total (Σ_p φ_p = v(all) − v(none)); for a target linear in the activations (a logit after global average
/// pooling and a linear layer) every permutation gives the exact Shapley values.
///
/// Cost: `permutations` × (h·w + 1) tail evaluations.
public struct ShapCAM: CAMMethod {
    public let name = "shapcam"
    public var permutations: Int
    public var seed: UInt64

    public init(permutations: Int = 64, seed: UInt64 = 0) {
        self.permutations = permutations
        self.seed = seed
    }

    public func channelWeights(_ e: LayerEvidence) throws -> Tensor {
        throw SaliencyError.badOption("Shap-CAM has no channel weights; use rawMap")
    }

    /// The estimated Shapley value of each position, [h, w] (signed).
    public func rawMap(_ e: LayerEvidence) throws -> Tensor {
        guard permutations >= 1 else { throw SaliencyError.badOption("Shap-CAM needs at least one permutation") }
        let (c, h, w) = (e.channels, e.activations.shape[1], e.activations.shape[2])
        let n = h * w
        let a = e.activations.scalars
        let means = (0..<c).map { k in a[(k * n)..<((k + 1) * n)].reduce(0, +) / Float(n) }
        var rng = SeededRNG(seed: seed)
        let orders = (0..<permutations).map { _ in Array(0..<n).shuffled(using: &rng) }
        // Copy (t, m) holds the first m positions of order t: m = 0 is "no position", m = n all of them.
        let values = try e.tailScores(count: permutations * (n + 1)) { index, copy in
            let (t, m) = (index / (n + 1), index % (n + 1))
            var kept = [Bool](repeating: false, count: n)
            for p in orders[t].prefix(m) { kept[p] = true }
            for k in 0..<c {
                for p in 0..<n where !kept[p] { copy[k * n + p] = means[k] }
            }
        }
        var phi = [Double](repeating: 0, count: n)
        for t in 0..<permutations {
            for (m, p) in orders[t].enumerated() {
                phi[p] += Double(values[t * (n + 1) + m + 1]) - Double(values[t * (n + 1) + m])
            }
        }
        return try Tensor(phi.map { Float($0 / Double(permutations)) }, shape: [h, w])
    }
}
