/// Iteration over a shape with per-operand strides, in contiguous runs along the last axis.
/// Shared by broadcasting arithmetic and by reductions (a reduction is a broadcast in reverse).
@usableFromInline struct StridedWalk {
    let shape: [Int]
    let stridesA: [Int]
    let stridesB: [Int]

    /// Row-major strides of `shape`, with 0 on axes where `shape` has size 1 and `target` does not.
    static func broadcastStrides(of shape: [Int], to target: [Int]) -> [Int] {
        let offset = target.count - shape.count
        var strides = [Int](repeating: 0, count: target.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis + offset] = shape[axis] == 1 && target[axis + offset] != 1 ? 0 : step
            step *= shape[axis]
        }
        return strides
    }

    /// Calls `run(offsetA, offsetB, runIndex, innerStrideA, innerStrideB, length)` for each run along the last axis.
    func forEachRun(_ run: (Int, Int, Int, Int, Int, Int) -> Void) {
        guard let last = shape.last else { run(0, 0, 0, 0, 0, 1); return }
        let outer = shape.dropLast().reduce(1, *)
        if outer == 0 || last == 0 { return }
        let rank = shape.count
        var index = [Int](repeating: 0, count: rank)
        var offA = 0, offB = 0
        let sA = stridesA[rank - 1], sB = stridesB[rank - 1]
        for r in 0..<outer {
            run(offA, offB, r, sA, sB, last)
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                offA += stridesA[axis]; offB += stridesB[axis]
                if index[axis] < shape[axis] { break }
                offA -= stridesA[axis] * shape[axis]; offB -= stridesB[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}

/// Shape that `a` and `b` broadcast to (NumPy rules), or nil.
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
    }
    return out
}
