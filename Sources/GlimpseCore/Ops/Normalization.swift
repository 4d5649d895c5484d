import Foundation

/// Batch statistics computed by `batchNormTraining`, for updating running averages.
public struct BatchStatistics {
    public let mean: Tensor
    /// Biased variance (divided by the number of values per channel).
    public let variance: Tensor
    /// Number of values per channel.
    public let count: Int
}

extension Tensor {
    /// Batch normalisation with fixed statistics (inference): `(x − mean)/√(var + eps) · weight + bias` per channel of [N, C, ...].
    public func batchNormInference(mean: Tensor, variance: Tensor, weight: Tensor, bias: Tensor, eps: Float) throws -> Tensor {
        guard rank >= 2 else { throw TensorError.invalidArgument("batch norm needs [N, C, ...], found \(shape)") }
        let c = shape[1]
        for (t, name) in [(mean, "running mean"), (variance, "running variance"), (weight, "weight"), (bias, "bias")] {
            try t.checkShape([c], "batch norm \(name)")
        }
        let scale = try weight / (variance + eps).sqrt()
        let shift = try bias - mean * scale
        let view = [1, c] + [Int](repeating: 1, count: rank - 2)
        return try self * scale.reshaped(view) + shift.reshaped(view)
    }

    /// Batch normalisation with the statistics of this batch (training); returns them too.
    public func batchNormTraining(weight: Tensor, bias: Tensor, eps: Float) throws -> (Tensor, BatchStatistics) {
        guard rank >= 2 else { throw TensorError.invalidArgument("batch norm needs [N, C, ...], found \(shape)") }
        let c = shape[1]
        try weight.checkShape([c], "batch norm weight")
        try bias.checkShape([c], "batch norm bias")
        let axes = [0] + Array(2..<rank)
        let mu = try mean(axes: axes, keepDims: true)
        let centred = try self - mu
        let variance = try centred.squared().mean(axes: axes, keepDims: true)
        let view = [1, c] + [Int](repeating: 1, count: rank - 2)
        let y = try centred / (variance + eps).sqrt() * weight.reshaped(view) + bias.reshaped(view)
        let n = count / Swift.max(c, 1)
        return (y, BatchStatistics(mean: try mu.reshaped([c]).detached(), variance: try variance.reshaped([c]).detached(), count: n))
    }
}
