import GlimpseCore

/// A first-order optimiser that updates one parameter tensor in place from the gradient of a loss to minimise.
public protocol Optimizer {
    /// Step size; the renderer lowers it during a learning-rate decay.
    var learningRate: Float { get set }
    /// One step: `parameter` moves against `gradient`. The update is not recorded for autodiff.
    mutating func update(_ parameter: inout Tensor, gradient: Tensor) throws
}

/// The optimisers the renderer offers, by name.
public enum OptimizerKind: String, Sendable, CaseIterable {
    /// Adam with β 0.9 / 0.999, ε 1e-8 (Lucid's default).
    case adam
    /// SGD with Nesterov momentum 0.9 (Mind's Eye uses it).
    case sgd

    /// A fresh optimiser of this kind with learning rate `lr`.
    public func make(learningRate lr: Float) -> any Optimizer {
        switch self {
        case .adam: return Adam(learningRate: lr)
        case .sgd: return SGD(learningRate: lr, momentum: 0.9, nesterov: true)
        }
    }
}

extension Adam: Optimizer {}

/// Stochastic gradient descent with (Nesterov) momentum, in PyTorch's form:
/// `v ← μ·v + g`, then `p ← p − lr·(g + μ·v)` (Nesterov) or `p ← p − lr·v` (classical). The momentum buffer
/// persists across steps (Mind's Eye re-creates its optimiser every step, which resets it; we do not).
public struct SGD: Optimizer {
    /// Step size.
    public var learningRate: Float
    /// Momentum μ (0 = plain SGD).
    public var momentum: Float
    /// Nesterov's look-ahead form of the momentum update.
    public var nesterov: Bool
    private var velocity: [Float] = []

    public init(learningRate: Float, momentum: Float = 0.9, nesterov: Bool = true) {
        (self.learningRate, self.momentum, self.nesterov) = (learningRate, momentum, nesterov)
    }

    public mutating func update(_ parameter: inout Tensor, gradient: Tensor) throws {
        try gradient.checkShape(parameter.shape, "SGD gradient")
        if velocity.count != parameter.count { velocity = [Float](repeating: 0, count: parameter.count) }
        let (lr, mu, nesterov) = (learningRate, momentum, nesterov)
        parameter = parameter.detached()
        gradient.withUnsafeBufferPointer { g in
            velocity.withUnsafeMutableBufferPointer { v in
                parameter.withUnsafeMutableBufferPointer { p in
                    for i in 0..<p.count {
                        v[i] = mu * v[i] + g[i]
                        p[i] -= lr * (nesterov ? g[i] + mu * v[i] : v[i])
                    }
                }
            }
        }
    }
}
