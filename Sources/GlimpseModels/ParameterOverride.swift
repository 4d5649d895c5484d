import GlimpseCore

/// Parameters that replace a model's own during one forward pass, by state-dict key: how any model built from the
/// shared convolution + batch-norm and linear layers is trained (fine-tuning) and evaluated while it trains.
///
/// A convolution whose weight key is present runs unfolded from these tensors and its batch norm from the override's
/// weight and bias, on the batch's statistics (`.batchStatistics`, collected in `statistics`) or on the running
/// statistics held here (`.runningStatistics`). A linear layer whose weight key is present uses it. Layers whose keys
/// are absent run frozen, folded as in inference. Every key a layer looks up is noted in `consultedKeys` (in forward
/// order), which tells a caller which keys of a model can be trained.
public final class ParameterOverride {
    /// Which statistics the overridden batch norms normalise with.
    public enum BatchNormMode: Sendable { case batchStatistics, runningStatistics }

    public let values: [String: Tensor]
    public let batchNorm: BatchNormMode
    /// The batch's statistics of every overridden batch norm, by its path (`.batchStatistics` only).
    public private(set) var statistics: [String: BatchStatistics] = [:]
    /// Keys looked up by the layers of the pass, in order, each once.
    public private(set) var consultedKeys: [String] = []
    private var consulted: Set<String> = []

    public init(_ values: [String: Tensor], batchNorm: BatchNormMode) {
        self.values = values
        self.batchNorm = batchNorm
    }

    /// The override of `key`, or nil when the layer stays frozen.
    func tensor(_ key: String) -> Tensor? {
        if consulted.insert(key).inserted { consultedKeys.append(key) }
        return values[key]
    }

    /// The override of `key`, which the layer needs because another of its keys is overridden.
    func required(_ key: String) throws -> Tensor {
        guard let t = tensor(key) else { throw ModelError.badInput("the parameter override has no \(key) (its layer's other parameters are overridden)") }
        return t
    }

    /// Batch norm of `x` with the override's parameters of layer `path`.
    func batchNorm(_ x: Tensor, path: String, eps: Float) throws -> Tensor {
        let weight = try required("\(path).weight"), bias = try required("\(path).bias")
        switch batchNorm {
        case .batchStatistics:
            let (y, s) = try x.batchNormTraining(weight: weight, bias: bias, eps: eps)
            statistics[path] = s
            return y
        case .runningStatistics:
            return try x.batchNormInference(mean: required("\(path).running_mean"), variance: required("\(path).running_var"),
                                            weight: weight, bias: bias, eps: eps)
        }
    }
}
