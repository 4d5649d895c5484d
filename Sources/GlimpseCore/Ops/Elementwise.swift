import Foundation

enum BinaryKind { case add, sub, mul, div }

/// Broadcasting binary arithmetic on raw values (no autodiff).
func binaryValues(_ a: Tensor, _ b: Tensor, _ kind: BinaryKind) throws -> Tensor {
    guard let shape = broadcastShape(a.shape, b.shape) else {
        throw TensorError.incompatibleShapes("broadcast \(kind)", a.shape, b.shape)
    }
    let pa = a.storage.pointer, pb = b.storage.pointer
    return Tensor(shape: shape) { out, n in
        @inline(__always) func apply(_ x: UnsafePointer<Float>, _ sx: Int, _ y: UnsafePointer<Float>, _ sy: Int,
                                     _ o: UnsafeMutablePointer<Float>, _ len: Int) {
            switch (kind, sx, sy) {
            case (.add, 1, 1): for i in 0..<len { o[i] = x[i] + y[i] }
            case (.sub, 1, 1): for i in 0..<len { o[i] = x[i] - y[i] }
            case (.mul, 1, 1): for i in 0..<len { o[i] = x[i] * y[i] }
            case (.div, 1, 1): for i in 0..<len { o[i] = x[i] / y[i] }
            case (.add, 1, 0): let c = y[0]; for i in 0..<len { o[i] = x[i] + c }
            case (.sub, 1, 0): let c = y[0]; for i in 0..<len { o[i] = x[i] - c }
            case (.mul, 1, 0): let c = y[0]; for i in 0..<len { o[i] = x[i] * c }
            case (.div, 1, 0): let c = y[0]; for i in 0..<len { o[i] = x[i] / c }
            default:
                for i in 0..<len {
                    let u = x[i * sx], v = y[i * sy]
                    switch kind {
                    case .add: o[i] = u + v
                    case .sub: o[i] = u - v
                    case .mul: o[i] = u * v
                    case .div: o[i] = u / v
                    }
                }
            }
        }
        if a.shape == b.shape {
            nonisolated(unsafe) let (pa, pb, out) = (pa, pb, out)
            parallelElements(n) { range in apply(pa + range.lowerBound, 1, pb + range.lowerBound, 1, out + range.lowerBound, range.count) }
            return
        }
        let walk = StridedWalk(shape: shape,
                               stridesA: StridedWalk.broadcastStrides(of: a.shape, to: shape),
                               stridesB: StridedWalk.broadcastStrides(of: b.shape, to: shape))
        let last = shape.last ?? 1
        walk.forEachRun { oa, ob, r, sa, sb, len in
            apply(pa + oa, sa, pb + ob, sb, out + r * last, len)
        }
    }
}

/// Element-wise map on raw values (no autodiff).
@inline(__always) func mapValues(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
    let p = x.storage.pointer
    return Tensor(shape: x.shape) { out, n in for i in 0..<n { out[i] = f(p[i]) } }
}

/// Element-wise map of two same-shape tensors on raw values (no autodiff).
@inline(__always) func zipValues(_ x: Tensor, _ y: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
    let p = x.storage.pointer, q = y.storage.pointer
    return Tensor(shape: x.shape) { out, n in for i in 0..<n { out[i] = f(p[i], q[i]) } }
}

extension Tensor {
    /// Reduces a broadcast gradient back to `shape` (sum over broadcast axes).
    func unbroadcast(to target: [Int]) throws -> Tensor {
        shape == target ? self : try summed(toShape: target)
    }

    public static func + (a: Tensor, b: Tensor) throws -> Tensor {
        let r = try binaryValues(a, b, .add)
        return recorded(r, inputs: [a, b]) { g in [try g.unbroadcast(to: a.shape), try g.unbroadcast(to: b.shape)] }
    }

    public static func - (a: Tensor, b: Tensor) throws -> Tensor {
        let r = try binaryValues(a, b, .sub)
        return recorded(r, inputs: [a, b]) { g in [try g.unbroadcast(to: a.shape), try (-g).unbroadcast(to: b.shape)] }
    }

    public static func * (a: Tensor, b: Tensor) throws -> Tensor {
        let r = try binaryValues(a, b, .mul)
        return recorded(r, inputs: [a, b]) { g in
            [a.node == nil ? nil : try (g * b).unbroadcast(to: a.shape),
             b.node == nil ? nil : try (g * a).unbroadcast(to: b.shape)]
        }
    }

    public static func / (a: Tensor, b: Tensor) throws -> Tensor {
        let r = try binaryValues(a, b, .div)
        return recorded(r, inputs: [a, b]) { g in
            [a.node == nil ? nil : try (g / b).unbroadcast(to: a.shape),
             b.node == nil ? nil : try (-(g * a / (b * b))).unbroadcast(to: b.shape)]
        }
    }

    public static prefix func - (a: Tensor) -> Tensor {
        let r = mapValues(a) { -$0 }
        return recorded(r, inputs: [a]) { g in [-g] }
    }

    public static func * (a: Tensor, s: Float) -> Tensor {
        let r = mapValues(a) { $0 * s }
        return recorded(r, inputs: [a]) { g in [g * s] }
    }
    public static func * (s: Float, a: Tensor) -> Tensor { a * s }
    public static func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }

    public static func + (a: Tensor, s: Float) -> Tensor {
        let r = mapValues(a) { $0 + s }
        return recorded(r, inputs: [a]) { g in [g] }
    }
    public static func + (s: Float, a: Tensor) -> Tensor { a + s }
    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }
    public static func - (s: Float, a: Tensor) -> Tensor { (-a) + s }

    /// Multiplies by a tensor that is treated as a constant (no gradient flows into `mask`).
    func timesConstant(_ mask: Tensor) throws -> Tensor {
        try self * mask.detached()
    }

    /// Element-wise unary op whose derivative is given as a differentiable function of the input.
    fileprivate func unary(_ f: (Float) -> Float, derivative: @escaping (Tensor) throws -> Tensor) -> Tensor {
        let r = mapValues(self, f)
        let x = self
        return Tensor.recorded(r, inputs: [x]) { g in [try g * derivative(x)] }
    }

    public func exp() -> Tensor { unary(Foundation.exp) { $0.exp() } }
    public func log() -> Tensor { unary(Foundation.log) { x in try Tensor(repeating: 1, shape: x.shape) / x } }
    public func sqrt() -> Tensor { unary(Foundation.sqrt) { x in try Tensor(repeating: 0.5, shape: x.shape) / x.sqrt() } }
    public func squared() -> Tensor { unary({ $0 * $0 }) { x in x * 2 } }
    public func abs() -> Tensor { unary(Swift.abs) { x in mapValues(x) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) } } }
    public func sin() -> Tensor { unary(Foundation.sin) { $0.cos() } }
    public func cos() -> Tensor { unary(Foundation.cos) { x in -x.sin() } }
    /// `x^p` for a constant exponent.
    public func pow(_ p: Float) -> Tensor {
        unary({ Foundation.pow($0, p) }) { x in x.pow(p - 1) * p }
    }
    public func sigmoid() -> Tensor {
        unary({ 1 / (1 + Foundation.exp(-$0)) }) { x in let s = x.sigmoid(); return try s * (1 - s) }
    }
    public func tanh() -> Tensor { unary(Foundation.tanh) { x in 1 - x.tanh().squared() } }
    /// `log(1 + eˣ)` (computed stably).
    public func softplus() -> Tensor {
        unary({ $0 > 20 ? $0 : Foundation.log1p(Foundation.exp($0)) }) { $0.sigmoid() }
    }
    /// SiLU / swish: `x · sigmoid(x)`.
    public func silu() -> Tensor {
        unary({ $0 / (1 + Foundation.exp(-$0)) }) { x in
            let s = x.sigmoid()
            return try s + x * s * (1 - s)
        }
    }
    /// `max(x, slope·x)`.
    public func leakyRelu(slope: Float = 0.01) -> Tensor {
        unary({ $0 > 0 ? $0 : slope * $0 }) { x in mapValues(x) { $0 > 0 ? 1 : slope } }
    }
    /// Clamps into [low, high]; the gradient passes where the value is inside.
    public func clamped(_ low: Float, _ high: Float) -> Tensor {
        unary({ Swift.min(Swift.max($0, low), high) }) { x in mapValues(x) { $0 >= low && $0 <= high ? 1 : 0 } }
    }
}
