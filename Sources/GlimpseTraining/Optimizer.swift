import Foundation
import GlimpseCore

/// Update rule and hyper-parameters of an optimiser (PyTorch semantics).
public enum OptimizerKind: Codable, Sendable, Equatable {
    /// SGD with momentum (heavy ball or Nesterov); `weightDecay` is added to the gradient (L2).
    case sgd(momentum: Float, nesterov: Bool, weightDecay: Float)
    /// Adam; `weightDecay` added to the gradient (L2), or decoupled (AdamW: p ← p − lr·wd·p) when `decoupled`.
    case adam(beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float, decoupled: Bool)

    /// Adam with PyTorch's defaults.
    public static func adam(weightDecay: Float = 0) -> OptimizerKind { .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: weightDecay, decoupled: false) }
    /// AdamW with PyTorch's defaults (weight decay 0.01).
    public static func adamW(weightDecay: Float = 0.01) -> OptimizerKind { .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: weightDecay, decoupled: true) }
}

/// An optimiser with its per-parameter state (momentum / moment buffers), which checkpoints save.
public struct Optimizer: Sendable {
    public let kind: OptimizerKind
    /// State tensors by "<parameter key>.<buffer>" (flat values).
    public private(set) var state: [String: [Float]] = [:]
    /// Number of updates applied (Adam's bias correction uses it).
    public private(set) var steps = 0

    public init(_ kind: OptimizerKind) throws {
        switch kind {
        case let .sgd(momentum, _, wd):
            guard (0..<1).contains(momentum), wd >= 0 else { throw TrainingError.invalidSetting("SGD momentum \(momentum) must be in [0, 1), weight decay \(wd) ≥ 0") }
        case let .adam(b1, b2, eps, wd, _):
            guard (0..<1).contains(b1), (0..<1).contains(b2), eps > 0, wd >= 0 else {
                throw TrainingError.invalidSetting("Adam betas (\(b1), \(b2)) must be in [0, 1), ε \(eps) > 0, weight decay \(wd) ≥ 0")
            }
        }
        self.kind = kind
    }

    /// Restores saved state (from `state` and `steps` of an earlier optimiser of the same kind).
    public init(_ kind: OptimizerKind, state: [String: [Float]], steps: Int) throws {
        try self.init(kind)
        self.state = state
        self.steps = steps
    }

    /// Applies one update with learning rate `lr` to `parameters[key]` for every key of `gradients`.
    public mutating func step(_ parameters: inout [String: Tensor], gradients: [String: Tensor], lr: Float) throws {
        steps += 1
        for key in gradients.keys.sorted() {
            guard var p = parameters[key], let g = gradients[key], p.shape == g.shape else {
                throw TrainingError.invalidSetting("no parameter of the gradient's shape for \(key)")
            }
            let grad = g.scalars
            p.withUnsafeMutableBufferPointer { w in update(key, w, grad, lr) }
            parameters[key] = p
        }
    }

    private mutating func update(_ key: String, _ w: UnsafeMutableBufferPointer<Float>, _ g: [Float], _ lr: Float) {
        let n = w.count
        switch kind {
        case let .sgd(momentum, nesterov, wd):
            var buf = state["\(key).momentum_buffer"] ?? []
            let fresh = buf.isEmpty
            if momentum > 0 && fresh { buf = [Float](repeating: 0, count: n) }
            for i in 0..<n {
                var d = g[i] + wd * w[i]
                if momentum > 0 {
                    buf[i] = fresh ? d : momentum * buf[i] + d
                    d = nesterov ? d + momentum * buf[i] : buf[i]
                }
                w[i] -= lr * d
            }
            if momentum > 0 { state["\(key).momentum_buffer"] = buf }
        case let .adam(b1, b2, eps, wd, decoupled):
            var m = state["\(key).exp_avg"] ?? [Float](repeating: 0, count: n)
            var v = state["\(key).exp_avg_sq"] ?? [Float](repeating: 0, count: n)
            let c1 = 1 - Float(Foundation.pow(Double(b1), Double(steps)))
            let c2 = 1 - Float(Foundation.pow(Double(b2), Double(steps)))
            for i in 0..<n {
                var d = g[i]
                if decoupled { w[i] *= 1 - lr * wd } else { d += wd * w[i] }
                m[i] = b1 * m[i] + (1 - b1) * d
                v[i] = b2 * v[i] + (1 - b2) * d * d
                w[i] -= lr * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
            }
            state["\(key).exp_avg"] = m
            state["\(key).exp_avg_sq"] = v
        }
    }
}
