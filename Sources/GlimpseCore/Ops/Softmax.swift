extension Tensor {
    /// Softmax along `axis` (default: the last).
    public func softmax(axis: Int = -1) throws -> Tensor {
        let a = axis < 0 ? axis + rank : axis
        let shifted = try self - max(axes: [a], keepDims: true).detached()
        let e = shifted.exp()
        return try e / e.sum(axes: [a], keepDims: true)
    }

    /// Log-softmax along `axis` (default: the last), computed stably.
    public func logSoftmax(axis: Int = -1) throws -> Tensor {
        let a = axis < 0 ? axis + rank : axis
        let shifted = try self - max(axes: [a], keepDims: true).detached()
        return try shifted - shifted.exp().sum(axes: [a], keepDims: true).log()
    }

    /// Mean cross-entropy of logits [N, C] against integer labels.
    public func crossEntropy(labels: [Int]) throws -> Tensor {
        guard rank == 2 else { throw TensorError.invalidArgument("crossEntropy needs logits [N, C], found \(shape)") }
        return try -(logSoftmax(axis: 1).picking(labels).mean())
    }
}
