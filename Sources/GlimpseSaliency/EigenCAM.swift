import Foundation
import GlimpseCore

/// Eigen-CAM (Bany Muhammad & Yeasin 2020), gradient-free, as pytorch-grad-cam computes it: the activations as an
/// (h·w) × C matrix M with each channel's spatial mean removed, projected on M's first right singular vector v₁;
/// map = ReLU(M v₁). A singular vector's sign is arbitrary; Glimpse picks the one whose projection has its
/// largest magnitude positive (pytorch-grad-cam keeps whatever sign the SVD returns).
public struct EigenCAM: CAMMethod {
    public let name = "eigencam"
    public init() {}

    /// v₁ as [C, 1, 1] (zero when every channel is constant).
    public func channelWeights(_ e: LayerEvidence) throws -> Tensor {
        let (c, n) = (e.channels, e.activations.count / e.channels)
        let a = e.activations.scalars
        var m = [Double](repeating: 0, count: c * n)          // channel-major: m[k·n + i] = M_ik
        for k in 0..<c {
            let row = a[(k * n)..<((k + 1) * n)]
            let mean = row.reduce(0.0) { $0 + Double($1) } / Double(n)
            for (i, v) in row.enumerated() { m[k * n + i] = Double(v) - mean }
        }
        // v₁ from the smaller Gram matrix: MᵀM (C × C) directly, or M Mᵀ (n × n) via v₁ = Mᵀu₁ / σ₁.
        var v: [Double]
        if c <= n {
            let gram = Self.gram(m, rows: c, length: n)
            v = Self.dominantEigenvector(gram, c)
        } else {
            var t = [Double](repeating: 0, count: n * c)       // Mᵀ stored position-major
            for k in 0..<c { for i in 0..<n { t[i * c + k] = m[k * n + i] } }
            let u = Self.dominantEigenvector(Self.gram(t, rows: n, length: c), n)
            v = (0..<c).map { k in (0..<n).reduce(0.0) { $0 + m[k * n + $1] * u[$1] } }
            let norm = v.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            v = norm > 0 ? v.map { $0 / norm } : v
        }
        let projection = (0..<n).map { i in (0..<c).reduce(0.0) { $0 + m[$1 * n + i] * v[$1] } }
        if (projection.max() ?? 0) < -(projection.min() ?? 0) { v = v.map { -$0 } }
        return try Tensor(v.map { Float($0) }, shape: [c, 1, 1])
    }

    /// ReLU(Σ_k v₁k (A_k − mean A_k)).
    public func rawMap(_ e: LayerEvidence) throws -> Tensor {
        let v = try channelWeights(e)
        return try withoutGradient {
            let centred = try e.activations - e.activations.mean(axes: [1, 2], keepDims: true)
            return try (centred * v).sum(axes: [0]).relu()
        }
    }

    /// G_rs = Σ_i x[r·length + i] x[s·length + i] for `rows` vectors of `length`.
    static func gram(_ x: [Double], rows: Int, length: Int) -> [Double] {
        var g = [Double](repeating: 0, count: rows * rows)
        for r in 0..<rows {
            for s in r..<rows {
                var total = 0.0
                for i in 0..<length { total += x[r * length + i] * x[s * length + i] }
                g[r * rows + s] = total
                g[s * rows + r] = total
            }
        }
        return g
    }

    /// Unit eigenvector of the largest eigenvalue of a symmetric positive semi-definite n × n matrix (power
    /// iteration from a fixed start, in Float64); all zeros for the zero matrix.
    static func dominantEigenvector(_ matrix: [Double], _ n: Int) -> [Double] {
        var u = (0..<n).map { 1 + 0.5 * sin(Double($0) + 1) }
        for _ in 0..<5_000 {
            var next = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + matrix[i * n + $1] * u[$1] } }
            let norm = next.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { return [Double](repeating: 0, count: n) }
            next = next.map { $0 / norm }
            let change = zip(next, u).reduce(0.0) { max($0, abs($1.0 - $1.1)) }
            u = next
            if change < 1e-12 { break }
        }
        return u
    }
}
