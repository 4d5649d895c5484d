extension Tensor {
    /// `out[i] = self.flat[indices[i]]` (0 where the index is -1), reshaped to `shape`.
    /// Padding, cropping, max pooling's backward and label picking are all gathers.
    public func gathered(_ indices: [Int32], shape outShape: [Int]) throws -> Tensor {
        guard Tensor.elementCount(outShape) == indices.count else {
            throw TensorError.valueCount(expected: Tensor.elementCount(outShape), found: indices.count, shape: outShape)
        }
        let n = count
        guard !indices.contains(where: { $0 < -1 || Int($0) >= n }) else {
            throw TensorError.invalidArgument("gather index out of range for \(shape)")
        }
        let src = storage.pointer
        let r = Tensor(shape: outShape) { out, m in
            indices.withUnsafeBufferPointer { idx in
                for i in 0..<m { let j = Int(idx[i]); out[i] = j < 0 ? 0 : src[j] }
            }
        }
        let inputShape = shape
        return Tensor.recorded(r, inputs: [self]) { g in [try g.scattered(indices, shape: inputShape)] }
    }

    /// The adjoint of `gathered`: `out.flat[indices[i]] += self[i]` into zeros of `shape` (-1 indices skipped).
    public func scattered(_ indices: [Int32], shape outShape: [Int]) throws -> Tensor {
        guard indices.count == count else {
            throw TensorError.valueCount(expected: count, found: indices.count, shape: shape)
        }
        let n = Tensor.elementCount(outShape)
        guard !indices.contains(where: { $0 < -1 || Int($0) >= n }) else {
            throw TensorError.invalidArgument("scatter index out of range for \(outShape)")
        }
        var r = Tensor(zeros: outShape)
        let out = r.storage.pointer, src = storage.pointer
        indices.withUnsafeBufferPointer { idx in
            for i in 0..<count { let j = Int(idx[i]); if j >= 0 { out[j] += src[i] } }
        }
        let inputShape = shape
        r = Tensor.recorded(r, inputs: [self]) { g in [try g.gathered(indices, shape: inputShape)] }
        return r
    }
}

/// How `padded` fills the border.
public enum PaddingMode: Sendable { case zeros, reflect, replicate }

extension Tensor {
    /// Pads (or, with negative amounts, crops) the last two axes.
    public func padded(top: Int, bottom: Int, left: Int, right: Int, mode: PaddingMode = .zeros) throws -> Tensor {
        guard rank >= 2 else { throw TensorError.invalidArgument("padded needs at least 2 axes, found \(shape)") }
        let h = shape[rank - 2], w = shape[rank - 1]
        let oh = h + top + bottom, ow = w + left + right
        guard oh > 0, ow > 0 else { throw TensorError.invalidArgument("padding (\(top), \(bottom), \(left), \(right)) leaves nothing of \(shape)") }
        if mode == .reflect && (top >= h || bottom >= h || left >= w || right >= w) {
            throw TensorError.invalidArgument("reflect padding must be smaller than the input size \(h)×\(w)")
        }
        func source(_ i: Int, _ size: Int) -> Int {
            if i >= 0 && i < size { return i }
            switch mode {
            case .zeros: return -1
            case .replicate: return Swift.min(Swift.max(i, 0), size - 1)
            case .reflect: return i < 0 ? -i : 2 * (size - 1) - i
            }
        }
        let rows = (0..<oh).map { source($0 - top, h) }, cols = (0..<ow).map { source($0 - left, w) }
        let planes = count / Swift.max(h * w, 1)
        var indices = [Int32](repeating: -1, count: planes * oh * ow)
        for p in 0..<planes {
            for y in 0..<oh where rows[y] >= 0 {
                for x in 0..<ow where cols[x] >= 0 {
                    indices[(p * oh + y) * ow + x] = Int32(p * h * w + rows[y] * w + cols[x])
                }
            }
        }
        return try gathered(indices, shape: Array(shape.dropLast(2)) + [oh, ow])
    }

    /// Picks `self[i, labels[i]]` from a [N, C] tensor, giving [N].
    public func picking(_ labels: [Int]) throws -> Tensor {
        guard rank == 2, labels.count == shape[0] else {
            throw TensorError.invalidArgument("picking needs [N, C] and N labels, found \(shape) and \(labels.count) labels")
        }
        let c = shape[1]
        guard labels.allSatisfy({ $0 >= 0 && $0 < c }) else {
            throw TensorError.invalidArgument("label out of range 0..<\(c)")
        }
        return try gathered(labels.enumerated().map { Int32($0.offset * c + $0.element) }, shape: [labels.count])
    }
}
