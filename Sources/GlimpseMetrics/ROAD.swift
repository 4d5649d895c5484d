import GlimpseCore
import GlimpseModels

/// ROAD, Remove And Debias (Rong, Leemann et al., ICML 2022), as pytorch-grad-cam's `ROADCombined` computes it
/// for one image. For each percentile p, MoRF removes the pixels with map ≥ the p-th percentile (the most
/// relevant 100 − p %), LeRF those with 1 − map ≥ its p-th percentile (the least relevant); removed pixels of
/// the model's *normalised* input are filled by noisy linear imputation: each is the weighted mean of its 8
/// neighbours (1/6 for edge, 1/12 for corner neighbours; neighbours outside the image drop out), solved jointly
/// for all removed pixels (conjugate gradients), plus `noise` × N(0, 1) (seeded). Each score is the change of the
/// class probability; the result is mean_p (LeRF − MoRF) / 2 (higher is better).
public struct ROAD {
    public var percentiles: [Double]
    public var noise: Float
    public var seed: UInt64

    public init(percentiles: [Double] = [10, 20, 30, 40, 50, 60, 70, 80, 90], noise: Float = 0.01, seed: UInt64 = 0) {
        self.percentiles = percentiles
        self.noise = noise
        self.seed = seed
    }

    /// (LeRF − MoRF) / 2 averaged over the percentiles, for map [H, W] of x [1, C, H, W] and class c.
    public func combined(model: any Classifier, _ x: Tensor, map: Tensor, classIndex c: Int) throws -> Double {
        guard x.rank == 4, x.shape[0] == 1, map.shape == [x.shape[2], x.shape[3]] else {
            throw MetricError.badInput("ROAD needs one image [1, C, H, W] and a map [H, W], found \(x.shape) and \(map.shape)")
        }
        guard !percentiles.isEmpty, percentiles.allSatisfy({ (0...100).contains($0) }) else {
            throw MetricError.badInput("ROAD's percentiles must be in [0, 100]")
        }
        guard (0..<model.classCount).contains(c) else { throw MetricError.badInput("class \(c) is out of range 0..<\(model.classCount)") }
        try map.checkFinite("the saliency map")
        let m = map.scalars
        var rng = SeededRNG(seed: seed)
        return try withoutGradient {
            let image = try model.normalizedInput(x)
            var imputed: [Tensor] = []
            for p in percentiles {
                let most = Self.percentile(m, p), least = Self.percentile(m.map { 1 - $0 }, p)
                imputed.append(try impute(image, keep: m.map { $0 < most }, rng: &rng))
                imputed.append(try impute(image, keep: m.map { 1 - $0 < least }, rng: &rng))
            }
            let batch = try Tensor.concatenate([image] + imputed, axis: 0)
            let p = try model.logits(model.imageFromNormalized(batch)).softmax(axis: 1).scalars
            let k = model.classCount
            let base = Double(p[c])
            let differences = percentiles.indices.map { i in
                let morf = Double(p[(1 + 2 * i) * k + c]) - base, lerf = Double(p[(2 + 2 * i) * k + c]) - base
                return (lerf - morf) / 2
            }
            return differences.reduce(0, +) / Double(differences.count)
        }
    }

    /// NumPy's default (linear) percentile.
    public static func percentile(_ values: [Float], _ p: Double) -> Float {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let position = p / 100 * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = min(low + 1, sorted.count - 1)
        return Float(Double(sorted[low]) + (Double(sorted[high]) - Double(sorted[low])) * (position - Double(low)))
    }

    /// Noisy linear imputation of the pixels where `keep` is false, image [1, C, H, W].
    public func impute(_ image: Tensor, keep: [Bool], rng: inout SeededRNG) throws -> Tensor {
        let (channels, h, w) = (image.shape[1], image.shape[2], image.shape[3])
        guard keep.count == h * w else { throw MetricError.badInput("ROAD mask of \(keep.count) pixels for a \(h)×\(w) image") }
        guard keep.contains(true) else { throw MetricError.badInput("ROAD cannot impute an image with every pixel removed") }
        let unknown = keep.indices.filter { !keep[$0] }
        var index = [Int](repeating: -1, count: h * w)
        for (i, p) in unknown.enumerated() { index[p] = i }
        let neighbours: [(Int, Int, Double)] = [(1, 1, 1 / 12), (0, 1, 1 / 6), (-1, 1, 1 / 12), (1, -1, 1 / 12),
                                                (0, -1, 1 / 6), (-1, -1, 1 / 12), (1, 0, 1 / 6), (-1, 0, 1 / 6)]
        // Row i: diagonal[i] v_i − Σ coupling v_j = rhs_i (symmetric positive definite).
        var diagonal = [Double](repeating: 1, count: unknown.count)
        var couplings = [[(Int, Double)]](repeating: [], count: unknown.count)
        var knownTerms = [[(Int, Double)]](repeating: [], count: unknown.count)
        for (i, p) in unknown.enumerated() {
            let (y, x) = (p / w, p % w)
            for (dy, dx, weight) in neighbours {
                let (ny, nx) = (y + dy, x + dx)
                guard (0..<h).contains(ny), (0..<w).contains(nx) else { diagonal[i] -= weight; continue }
                let q = ny * w + nx
                if keep[q] { knownTerms[i].append((q, weight)) } else { couplings[i].append((index[q], weight)) }
            }
        }
        var values = image.scalars
        for ch in 0..<channels {
            let plane = ch * h * w
            let rhs = knownTerms.map { $0.reduce(0.0) { $0 + $1.1 * Double(values[plane + $1.0]) } }
            let solution = Self.conjugateGradient(diagonal: diagonal, couplings: couplings, rhs: rhs)
            for (i, p) in unknown.enumerated() { values[plane + p] = Float(solution[i]) + noise * rng.nextNormal() }
        }
        return try Tensor(values, shape: image.shape)
    }

    /// Solves (D − C) v = b by conjugate gradients to a relative residual of 1e-7.
    static func conjugateGradient(diagonal: [Double], couplings: [[(Int, Double)]], rhs: [Double]) -> [Double] {
        let n = rhs.count
        func apply(_ v: [Double]) -> [Double] {
            (0..<n).map { i in diagonal[i] * v[i] - couplings[i].reduce(0.0) { $0 + $1.1 * v[$1.0] } }
        }
        var v = [Double](repeating: 0, count: n)
        var r = rhs, d = rhs
        var rr = r.reduce(0.0) { $0 + $1 * $1 }
        let target = rr * 1e-14
        var iteration = 0
        while rr > target && rr > 0 && iteration < 10 * n + 100 {
            let ad = apply(d)
            let alpha = rr / zip(d, ad).reduce(0.0) { $0 + $1.0 * $1.1 }
            for i in 0..<n { v[i] += alpha * d[i]; r[i] -= alpha * ad[i] }
            let next = r.reduce(0.0) { $0 + $1 * $1 }
            let beta = next / rr
            for i in 0..<n { d[i] = r[i] + beta * d[i] }
            rr = next
            iteration += 1
        }
        return v
    }
}
