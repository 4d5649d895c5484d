import Foundation

extension Tensor {
    /// ReLU, `max(x, 0)`; its backward rule follows the pass's `ActivationGradient`.
    public func relu() -> Tensor { clippedActivation(upper: nil) }

    /// ReLU6, `min(max(x, 0), 6)`; its backward rule follows the pass's `ActivationGradient`.
    public func relu6() -> Tensor { clippedActivation(upper: 6) }

    private func clippedActivation(upper: Float?) -> Tensor {
        let hi = upper ?? .infinity
        nonisolated(unsafe) let p = storage.pointer
        let r = Tensor(shape: shape) { out, n in
            nonisolated(unsafe) let out = out
            parallelElements(n) { range in for i in range { out[i] = Swift.min(Swift.max(p[i], 0), hi) } }
        }
        let x = self
        let rule = GradContext.current.activationGradient
        return Tensor.recorded(r, inputs: [x]) { g in
            [try activationPullback(x: x, g: g, upper: upper, rule: rule)]
        }
    }
}

/// `1[0 < x < upper]` as a constant tensor.
private func passMask(_ x: Tensor, upper: Float?) -> Tensor {
    let hi = upper ?? .infinity
    return mapValues(x) { $0 > 0 && $0 < hi ? 1 : 0 }
}

/// ReLU of `g` with the exact rule, whatever the pass's rule (used inside backward rules).
private func exactRelu(_ g: Tensor) throws -> Tensor {
    try g.timesConstant(mapValues(g) { $0 > 0 ? 1 : 0 })
}

/// The gradient through ReLU (`upper` nil) or ReLU6 under `rule`, given the activation's input `x`.
func activationPullback(x: Tensor, g: Tensor, upper: Float?, rule: ActivationGradient) throws -> Tensor {
    let hi = upper ?? .infinity
    if !GradContext.current.recording {
        // Not building a graph: one pass, no mask tensor.
        switch rule {
        case .exact: return maskedGradient(g, x, upper: hi, positiveOnly: false)
        case .guided: return maskedGradient(g, x, upper: hi, positiveOnly: true)
        case .deconvnet: return mapValues(g) { Swift.max($0, 0) }
        default: break
        }
    }
    switch rule {
    case .exact:
        return try g.timesConstant(passMask(x, upper: upper))
    case .guided:
        return try exactRelu(g).timesConstant(passMask(x, upper: upper))
    case .deconvnet:
        return try exactRelu(g)
    case .redirected:
        return try redirectedPullback(x: x, g: g, upper: upper)
    case let .smooth(tau):
        var h = try smoothSurrogate(x, tau: tau)
        if let upper { h = try h - smoothSurrogate(x - upper, tau: tau) }
        return try g * h
    }
}

/// `g · 1[0 < x < upper]` (and `g > 0` when `positiveOnly`), eight lanes at a time and split across cores.
private func maskedGradient(_ g: Tensor, _ x: Tensor, upper: Float, positiveOnly: Bool) -> Tensor {
    let mask = ActivationMask(activation: x.storage.pointer, upper: upper, positiveOnly: positiveOnly)
    nonisolated(unsafe) let pg = UnsafePointer(g.storage.pointer)
    return Tensor(shape: g.shape) { out, n in
        nonisolated(unsafe) let out = out
        parallelElements(n) { range in mask.apply(pg, from: range.lowerBound, count: range.count, into: out + range.lowerBound) }
    }
}

/// `h(z) = z/√(z²+τ) + 1[z<0]`, differentiable in `z` (the indicator is a constant).
private func smoothSurrogate(_ z: Tensor, tau: Float) throws -> Tensor {
    let negative = mapValues(z) { $0 < 0 ? 1 : 0 }
    return try z / (z.squared() + tau).sqrt() + negative
}

/// Lucid's redirected ReLU gradient, per example along the first axis.
private func redirectedPullback(x: Tensor, g: Tensor, upper: Float?) throws -> Tensor {
    let exact = try g.timesConstant(passMask(x, upper: upper))
    let batch = x.shape.first ?? 1
    let per = batch > 0 ? x.count / batch : 0
    let pe = exact.storage.pointer, px = x.storage.pointer, pg = g.storage.pointer
    var deadExamples: [Int] = []
    for b in 0..<batch where !(0..<per).contains(where: { pe[b * per + $0] != 0 }) { deadExamples.append(b) }
    if deadExamples.isEmpty { return exact }
    let hi = upper ?? .infinity
    let mask = Tensor(shape: x.shape) { m, n in
        for i in 0..<n {
            let b = per > 0 ? i / per : 0
            if deadExamples.contains(b) {
                let outward = (px[i] < 0 && pg[i] > 0) || (px[i] > hi && pg[i] < 0)
                m[i] = outward ? 0 : 1
            } else {
                m[i] = px[i] > 0 && px[i] < hi ? 1 : 0
            }
        }
    }
    return try g.timesConstant(mask)
}
