import Foundation
import GlimpseCore

/// Adam (Kingma & Ba 2015) on one parameter tensor, minimising; the update is not recorded for autodiff.
/// Defaults are Lucid's: lr 0.05, β 0.9 / 0.999, ε 1e-8.
public struct Adam {
    /// Step size.
    public var learningRate: Float
    /// Decay rates of the first and second moment estimates.
    public var beta1: Float, beta2: Float
    /// Added to √v̂ to avoid division by zero.
    public var epsilon: Float
    private var m: [Float] = [], v: [Float] = []
    private var step = 0

    public init(learningRate: Float = 0.05, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        (self.learningRate, self.beta1, self.beta2, self.epsilon) = (learningRate, beta1, beta2, epsilon)
    }

    /// `parameter ← parameter − lr · m̂ / (√v̂ + ε)`, `gradient` being that of a loss to minimise.
    public mutating func update(_ parameter: inout Tensor, gradient: Tensor) throws {
        try gradient.checkShape(parameter.shape, "Adam gradient")
        if m.count != parameter.count { m = [Float](repeating: 0, count: parameter.count); v = m; step = 0 }
        step += 1
        let c1 = 1 - Foundation.pow(beta1, Float(step)), c2 = 1 - Foundation.pow(beta2, Float(step))
        let (b1, b2, lr, eps) = (beta1, beta2, learningRate, epsilon)
        parameter = parameter.detached()
        gradient.withUnsafeBufferPointer { g in
            m.withUnsafeMutableBufferPointer { m in
                v.withUnsafeMutableBufferPointer { v in
                    parameter.withUnsafeMutableBufferPointer { p in
                        for i in 0..<p.count {
                            m[i] = b1 * m[i] + (1 - b1) * g[i]
                            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                            p[i] -= lr * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
                        }
                    }
                }
            }
        }
    }
}
