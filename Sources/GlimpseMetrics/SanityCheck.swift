import GlimpseCore
import GlimpseFormats
import GlimpseModels

/// Model-parameter randomization tests (Adebayo et al., NeurIPS 2018, "Sanity Checks for Saliency Maps").
///
/// Cascading: the layers are re-initialised from the top (logits) down, one stage at a time, each stage keeping
/// the earlier re-initialisations; independent: one stage at a time, the rest trained. After each stage the
/// method explains the same image and class again, and the new map is compared with the trained model's map by
/// Spearman rank correlation of |map| and of the map, and by SSIM of the min-max normalised maps. A method that
/// depends on the model keeps low similarities; one that does not (guided backpropagation, per the paper) stays
/// high. Re-initialisation: every convolution and linear weight (rank ≥ 2) and its bias get N(0, σ²) with σ the
/// standard deviation of the trained tensor, seeded; batch-norm statistics and affine parameters stay.
public struct SanityCheck {
    /// One randomization stage: a name and the state-dict key prefixes it re-initialises.
    public struct Stage: Sendable {
        public let name: String
        public let prefixes: [String]
        public init(name: String, prefixes: [String]) { self.name = name; self.prefixes = prefixes }
    }

    /// Similarities after one stage.
    public struct Result: Sendable, Codable, Equatable {
        public var stage: String
        public var spearmanAbs: Double
        public var spearman: Double
        public var ssim: Double
    }

    public var seed: UInt64
    public var cascading: Bool

    public init(seed: UInt64 = 0, cascading: Bool = true) {
        self.seed = seed
        self.cascading = cascading
    }

    /// EfficientNet-Lite0's stages from the top: `_fc`, the head convolution, blocks 15…0, the stem (19 stages).
    public static let efficientNetLite0Stages: [Stage] =
        [Stage(name: "_fc", prefixes: ["_fc."]), Stage(name: "_conv_head", prefixes: ["_conv_head.", "_bn1."])]
        + (0..<16).reversed().map { Stage(name: "_blocks.\($0)", prefixes: ["_blocks.\($0)."]) }
        + [Stage(name: "_conv_stem", prefixes: ["_conv_stem.", "_bn0."])]

    /// Consecutive stages merged `size` at a time (named after the last of each group), so that a shorter
    /// cascade still re-initialises every layer.
    public static func grouped(_ stages: [Stage], by size: Int) -> [Stage] {
        stride(from: 0, to: stages.count, by: max(size, 1)).map { start in
            let group = stages[start..<min(start + max(size, 1), stages.count)]
            return Stage(name: group.last!.name, prefixes: group.flatMap(\.prefixes))
        }
    }

    /// Runs the stages: `build` makes a model from a state dict, `explain(model)` returns its map [H, W].
    /// `progress(stage index)` is called after each stage.
    public func run(stateDict: StateDict, stages: [Stage], build: (StateDict) throws -> any Classifier,
                    explain: (any Classifier) throws -> Tensor, progress: ((Int) -> Void)? = nil) throws -> [Result] {
        guard !stages.isEmpty else { throw MetricError.badInput("the sanity check needs at least one stage") }
        let reference = try explain(build(stateDict))
        var current = stateDict
        var rng = SeededRNG(seed: seed)
        var results: [Result] = []
        for (index, stage) in stages.enumerated() {
            let randomized = try Self.randomized(cascading ? current : stateDict, prefixes: stage.prefixes, rng: &rng)
            if cascading { current = randomized }
            let map = try explain(build(randomized))
            results.append(try Self.compare(reference, map, stage: stage.name))
            progress?(index)
        }
        return results
    }

    /// The similarities of `map` to `reference`.
    public static func compare(_ reference: Tensor, _ map: Tensor, stage: String) throws -> Result {
        guard reference.shape == map.shape else { throw MetricError.badInput("maps of shapes \(reference.shape) and \(map.shape)") }
        try map.checkFinite("the randomized model's map")
        let (r, m) = (reference.scalars, map.scalars)
        return Result(stage: stage, spearmanAbs: MapStatistics.spearman(r.map(abs), m.map(abs)),
                      spearman: MapStatistics.spearman(r, m),
                      ssim: try MapStatistics.ssim(MapStatistics.normalized(reference), MapStatistics.normalized(map)))
    }

    /// A copy of `dict` whose convolution/linear weights and biases under `prefixes` are re-initialised.
    /// Throws when no key matches (a misspelt stage would silently test nothing).
    public static func randomized(_ dict: StateDict, prefixes: [String], rng: inout SeededRNG) throws -> StateDict {
        var out = dict
        var changed = 0
        for key in dict.keys where prefixes.contains(where: { key.hasPrefix($0) }) {
            guard let t = dict[key], t.scalarType == .float32 else { continue }
            let owner = String(key.dropLast(key.split(separator: ".").last.map { $0.count + 1 } ?? 0))
            let isBatchNorm = dict["\(owner).running_mean"] != nil
            let isWeight = key.hasSuffix(".weight") && t.shape.count >= 2
            let isBias = key.hasSuffix(".bias") && !isBatchNorm
            guard isWeight || isBias else { continue }
            let mean = t.values.reduce(0.0) { $0 + Double($1) } / Double(max(t.count, 1))
            let variance = t.values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(max(t.count, 1))
            let sigma = Float(variance.squareRoot())
            out.set(key, StoredTensor(shape: t.shape, values: (0..<t.count).map { _ in rng.nextNormal() * sigma }))
            changed += 1
        }
        guard changed > 0 else { throw MetricError.badInput("no weights match the stage prefixes \(prefixes)") }
        return out
    }
}
