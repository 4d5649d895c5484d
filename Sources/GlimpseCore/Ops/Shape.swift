extension Tensor {
    /// Same values with a new shape (same element count); one axis may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var target = newShape
        if let i = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
            guard known > 0, count % known == 0 else { throw TensorError.incompatibleShapes("reshape", shape, newShape) }
            target[i] = count / known
        }
        guard target.allSatisfy({ $0 >= 0 }), Tensor.elementCount(target) == count else {
            throw TensorError.incompatibleShapes("reshape", shape, newShape)
        }
        let r = Tensor(shape: target, storage: storage)
        let original = shape
        return Tensor.recorded(r, inputs: [self]) { g in [try g.reshaped(original)] }
    }

    /// Flattens all axes after the first: [N, ...] → [N, rest].
    public func flattened() throws -> Tensor { try reshaped([shape.first ?? 1, -1]) }

    /// Reorders axes: result axis i is input axis `axes[i]`.
    public func permuted(_ axes: [Int]) throws -> Tensor {
        guard axes.sorted() == Array(0..<rank) else {
            throw TensorError.invalidArgument("permutation \(axes) is not a permutation of the \(rank) axes of \(shape)")
        }
        let outShape = axes.map { shape[$0] }
        var inStrides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
        let src = storage.pointer
        let r = Tensor(shape: outShape) { out, _ in
            let walk = StridedWalk(shape: outShape, stridesA: axes.map { inStrides[$0] },
                                   stridesB: StridedWalk.broadcastStrides(of: outShape, to: outShape))
            walk.forEachRun { oi, oo, _, si, so, len in
                for i in 0..<len { out[oo + i * so] = src[oi + i * si] }
            }
        }
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in axes.enumerated() { inverse[a] = i }
        return Tensor.recorded(r, inputs: [self]) { g in [try g.permuted(inverse)] }
    }

    /// Matrix transpose of a rank-2 tensor.
    public func transposed() throws -> Tensor {
        guard rank == 2 else { throw TensorError.invalidArgument("transposed() needs a rank-2 tensor, found \(shape)") }
        return try permuted([1, 0])
    }

    /// The sub-range `range` along `axis`.
    public func sliced(axis: Int, _ range: Range<Int>) throws -> Tensor {
        guard axis >= 0 && axis < rank, range.lowerBound >= 0, range.upperBound <= shape[axis] else {
            throw TensorError.invalidArgument("slice \(range) of axis \(axis) is out of bounds for shape \(shape)")
        }
        var outShape = shape
        outShape[axis] = range.count
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        let src = storage.pointer, size = shape[axis]
        let r = Tensor(shape: outShape) { out, _ in
            for o in 0..<outer {
                (out + o * range.count * inner).update(from: src + (o * size + range.lowerBound) * inner,
                                                       count: range.count * inner)
            }
        }
        let full = shape[axis]
        return Tensor.recorded(r, inputs: [self]) { g in [try g.embedded(axis: axis, at: range.lowerBound, size: full)] }
    }

    /// Places this tensor at offset `at` of a zero tensor whose `axis` has `size` (the adjoint of `sliced`).
    public func embedded(axis: Int, at offset: Int, size: Int) throws -> Tensor {
        guard axis >= 0 && axis < rank, offset >= 0, offset + shape[axis] <= size else {
            throw TensorError.invalidArgument("cannot embed shape \(shape) at \(offset) of an axis of size \(size)")
        }
        var outShape = shape
        outShape[axis] = size
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        let src = storage.pointer, part = shape[axis]
        var r = Tensor(zeros: outShape)
        let out = r.storage.pointer
        for o in 0..<outer {
            (out + (o * size + offset) * inner).update(from: src + o * part * inner, count: part * inner)
        }
        r = Tensor.recorded(r, inputs: [self]) { g in [try g.sliced(axis: axis, offset..<(offset + part))] }
        return r
    }

    /// Joins tensors along `axis`; the other axes must agree.
    public static func concatenate(_ parts: [Tensor], axis: Int) throws -> Tensor {
        guard let first = parts.first else { throw TensorError.invalidArgument("concatenate needs at least one tensor") }
        for p in parts where p.rank != first.rank || (0..<p.rank).contains(where: { $0 != axis && p.shape[$0] != first.shape[$0] }) {
            throw TensorError.incompatibleShapes("concatenate along axis \(axis)", first.shape, p.shape)
        }
        guard axis >= 0 && axis < first.rank else { throw TensorError.invalidArgument("axis \(axis) out of range for \(first.shape)") }
        let sizes = parts.map { $0.shape[axis] }
        let total = sizes.reduce(0, +)
        var outShape = first.shape
        outShape[axis] = total
        let outer = first.shape[..<axis].reduce(1, *), inner = first.shape[(axis + 1)...].reduce(1, *)
        let r = Tensor(shape: outShape) { out, _ in
            var offset = 0
            for (p, size) in zip(parts, sizes) {
                let src = p.storage.pointer
                for o in 0..<outer {
                    (out + (o * total + offset) * inner).update(from: src + o * size * inner, count: size * inner)
                }
                offset += size
            }
        }
        return recorded(r, inputs: parts) { g in
            var offset = 0
            return try sizes.map { size in
                defer { offset += size }
                return try g.sliced(axis: axis, offset..<(offset + size))
            }
        }
    }

    /// Stacks same-shape tensors along a new first axis.
    public static func stack(_ parts: [Tensor]) throws -> Tensor {
        try concatenate(parts.map { try $0.reshaped([1] + $0.shape) }, axis: 0)
    }
}
