import GlimpseCore
import GlimpseModels

/// What a saliency map explains: a scalar per image computed from a forward pass.
public enum SaliencyTarget: Sendable, Equatable {
    /// The raw logit of a class.
    case logit(Int)
    /// The softmax probability of a class.
    case probability(Int)
    /// The spatial mean of one channel of a layer's output (the value itself for [N, C] outputs).
    case channel(layer: String, index: Int)

    /// Layers the forward pass must capture for this target.
    public var layers: Set<String> {
        if case let .channel(layer, _) = self { return [layer] }
        return []
    }

    /// The target of each image of the batch, [N].
    public func perImage(_ result: ForwardResult) throws -> Tensor {
        switch self {
        case let .logit(c): return try classColumn(result.logits, c)
        case let .probability(c): return try classColumn(result.logits.softmax(axis: 1), c)
        case let .channel(layer, k):
            let a = try result.layer(layer)
            guard a.rank >= 2, k >= 0, k < a.shape[1] else {
                throw SaliencyError.targetOutOfRange("channel of \(layer)", index: k, count: a.rank >= 2 ? a.shape[1] : 0)
            }
            let column = try a.sliced(axis: 1, k..<(k + 1))
            let n = a.shape[0]
            return a.rank == 2 ? try column.reshaped([n]) : try column.mean(axes: Array(2..<a.rank)).reshaped([n])
        }
    }

    /// The target summed over the batch: one scalar, so one backward pass gives every image's gradient.
    public func score(_ result: ForwardResult) throws -> Tensor {
        try perImage(result).sum()
    }

    private func classColumn(_ values: Tensor, _ c: Int) throws -> Tensor {
        guard values.rank == 2, c >= 0, c < values.shape[1] else {
            throw SaliencyError.targetOutOfRange("class", index: c, count: values.rank == 2 ? values.shape[1] : 0)
        }
        return try values.sliced(axis: 1, c..<(c + 1)).reshaped([values.shape[0]])
    }
}
