import Foundation

extension Tensor {
    /// Sums over the axes where `target` has size 1 (or that `target` lacks on the left), giving `target`'s shape.
    public func summed(toShape target: [Int]) throws -> Tensor {
        guard let b = broadcastShape(target, shape), b == shape else {
            throw TensorError.incompatibleShapes("sum to shape", shape, target)
        }
        let src = storage.pointer
        let n = Tensor.elementCount(target)
        let r = Tensor(zeros: target)
        // Trailing axes summed away (global pooling): each output is the sum of one contiguous block.
        let kept = zip(shape, target).prefix { $0 == $1 }.count
        if n == 1 {
            var acc: Double = 0
            for i in 0..<count { acc += Double(src[i]) }
            r.storage.pointer[0] = Float(acc)
        } else if target.count == shape.count && kept > 0 && target[kept...].allSatisfy({ $0 == 1 }) {
            let block = count / n, out = r.storage.pointer
            for j in 0..<n {
                let base = src + j * block
                var lanes = SIMD8<Float>(), acc: Float = 0, i = 0
                while i + 8 <= block {
                    lanes += UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<Float>.self)
                    i += 8
                }
                while i < block { acc += base[i]; i += 1 }
                out[j] = lanes.sum() + acc
            }
        } else {
            let out = r.storage.pointer
            let walk = StridedWalk(shape: shape,
                                   stridesA: StridedWalk.broadcastStrides(of: target, to: shape),
                                   stridesB: StridedWalk.broadcastStrides(of: shape, to: shape))
            walk.forEachRun { oo, oi, _, so, si, len in
                if so == 0 {
                    var acc: Float = 0
                    for i in 0..<len { acc += src[oi + i * si] }
                    out[oo] += acc
                } else {
                    for i in 0..<len { out[oo + i * so] += src[oi + i * si] }
                }
            }
        }
        let inputShape = shape
        return Tensor.recorded(r, inputs: [self]) { g in [try g.broadcast(to: inputShape)] }
    }

    /// Repeats values along axes of size 1 (NumPy broadcasting) to reach `target`.
    public func broadcast(to target: [Int]) throws -> Tensor {
        if target == shape { return self }
        guard let b = broadcastShape(shape, target), b == target else {
            throw TensorError.incompatibleShapes("broadcast", shape, target)
        }
        let r = try binaryValues(self.detached(), Tensor(zeros: target), .add)
        let inputShape = shape
        return Tensor.recorded(r, inputs: [self]) { g in [try g.summed(toShape: inputShape)] }
    }

    private func reducedShape(_ axes: [Int]) throws -> [Int] {
        var s = shape
        for a in axes {
            guard a >= 0 && a < rank else { throw TensorError.invalidArgument("axis \(a) out of range for shape \(shape)") }
            s[a] = 1
        }
        return s
    }

    private func normalised(_ axes: [Int]?) -> [Int] {
        (axes ?? Array(0..<rank)).map { $0 < 0 ? $0 + rank : $0 }
    }

    /// Sum over `axes` (all axes when nil).
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let ax = normalised(axes)
        let kept = try reducedShape(ax)
        let r = try summed(toShape: kept)
        return keepDims ? r : try r.reshaped(kept.enumerated().filter { !ax.contains($0.offset) }.map(\.element))
    }

    /// Mean over `axes` (all axes when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let ax = normalised(axes)
        let n = ax.reduce(1) { $0 * shape[$1] }
        return try sum(axes: ax, keepDims: keepDims) * (1 / Float(Swift.max(n, 1)))
    }

    /// Maximum over `axes`; the gradient is shared equally among tied maxima.
    public func max(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let ax = normalised(axes)
        let kept = try reducedShape(ax)
        var m = Tensor(repeating: -.infinity, shape: kept)
        let src = storage.pointer, out = m.storage.pointer
        let walk = StridedWalk(shape: shape,
                               stridesA: StridedWalk.broadcastStrides(of: kept, to: shape),
                               stridesB: StridedWalk.broadcastStrides(of: shape, to: shape))
        walk.forEachRun { oo, oi, _, so, si, len in
            for i in 0..<len { out[oo + i * so] = Swift.max(out[oo + i * so], src[oi + i * si]) }
        }
        let x = self
        let values = m
        m = Tensor.recorded(m, inputs: [x]) { g in
            let expanded = try binaryValues(values, Tensor(zeros: x.shape), .add)
            let ties = zipValues(x, expanded) { $0 == $1 ? 1 : 0 }
            let counts = try withoutGradient { try ties.summed(toShape: kept) }
            let share = try binaryValues(ties, counts, .div)
            return [try g.broadcast(to: x.shape).timesConstant(share)]
        }
        return keepDims ? m : try m.reshaped(kept.enumerated().filter { !ax.contains($0.offset) }.map(\.element))
    }
}
