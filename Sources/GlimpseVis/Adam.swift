import Foundation
import GlimpseCore

/// Adam (Kingma & Ba 2015) on one parameter tensor; the update is not recorded.
public struct Adam {
    public var learningRate: Float
    public var beta1: Float, beta2: Float, epsilon: Float
    private var m: [Float] = [], v: [Float] = []
    private var step = 0

    public init(learningRate: Float = 0.05, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        (self.learningRate, self.beta1, self.beta2, self.epsilon) = (learningRate, beta1, beta2, epsilon)
    }

    /// `parameter ← parameter − lr · m̂ / (√v̂ + ε)` for the gradient of a loss to minimise.
    public mutating func update(_ parameter: inout Tensor, gradient: Tensor) throws {
        try gradient.checkShape(parameter.shape, "Adam gradient")
        if m.isEmpty { m = [Float](repeating: 0, count: parameter.count); v = m }
        step += 1
        let c1 = 1 - Foundation.pow(beta1, Float(step)), c2 = 1 - Foundation.pow(beta2, Float(step))
        let g = gradient.scalars
        let (b1, b2, lr, eps) = (beta1, beta2, learningRate, epsilon)
        parameter = parameter.detached()
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
