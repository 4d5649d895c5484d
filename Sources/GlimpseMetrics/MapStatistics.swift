import GlimpseCore

/// Statistics of saliency maps shared by the metrics. Maps are [H, W] tensors or flat arrays of equal length.
public enum MapStatistics {
    /// (m − min) / (max − min) in [0, 1]; a constant map becomes all zeros. Throws on non-finite values.
    public static func normalized(_ map: Tensor) throws -> Tensor {
        try map.checkFinite("the saliency map")
        let v = map.scalars
        let lo = v.min() ?? 0, hi = v.max() ?? 0
        return hi > lo ? (map - lo) * (1 / (hi - lo)) : Tensor(zeros: map.shape)
    }

    /// Pearson correlation; 0 when either input is constant.
    public static func pearson(_ a: [Float], _ b: [Float]) -> Double {
        let n = Double(min(a.count, b.count))
        guard n > 1 else { return 0 }
        let ma = a.reduce(0.0) { $0 + Double($1) } / n, mb = b.reduce(0.0) { $0 + Double($1) } / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) {
            let (dx, dy) = (Double(x) - ma, Double(y) - mb)
            sab += dx * dy; saa += dx * dx; sbb += dy * dy
        }
        return saa > 0 && sbb > 0 ? sab / (saa * sbb).squareRoot() : 0
    }

    /// Ranks 1…n with ties given their average rank (as scipy.stats.rankdata).
    public static func ranks(_ v: [Float]) -> [Float] {
        let order = v.indices.sorted { v[$0] < v[$1] }
        var r = [Float](repeating: 0, count: v.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
            let average = Float(i + j) / 2 + 1
            for k in i...j { r[order[k]] = average }
            i = j + 1
        }
        return r
    }

    /// Spearman rank correlation (Pearson of the tie-averaged ranks).
    public static func spearman(_ a: [Float], _ b: [Float]) -> Double {
        pearson(ranks(a), ranks(b))
    }

    /// Structural similarity of two [H, W] maps as scikit-image computes it by default: 7×7 uniform windows,
    /// sample covariances, K₁ = 0.01, K₂ = 0.03, mean over the windows that fit inside the image.
    public static func ssim(_ a: Tensor, _ b: Tensor, dataRange: Float = 1) throws -> Double {
        guard a.rank == 2, a.shape == b.shape, a.shape[0] >= 7, a.shape[1] >= 7, dataRange > 0 else {
            throw MetricError.badInput("SSIM needs two maps of the same shape, at least 7×7, found \(a.shape) and \(b.shape)")
        }
        let (h, w) = (a.shape[0], a.shape[1])
        let x = a.scalars.map(Double.init), y = b.scalars.map(Double.init)
        let c1 = Double(0.01 * dataRange) * Double(0.01 * dataRange), c2 = Double(0.03 * dataRange) * Double(0.03 * dataRange)
        let np = 49.0, cov = np / (np - 1)
        var total = 0.0
        for i in 0..<(h - 6) {
            for j in 0..<(w - 6) {
                var sx = 0.0, sy = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0
                for di in 0..<7 {
                    for dj in 0..<7 {
                        let (u, v) = (x[(i + di) * w + j + dj], y[(i + di) * w + j + dj])
                        sx += u; sy += v; sxx += u * u; syy += v * v; sxy += u * v
                    }
                }
                let (mx, my) = (sx / np, sy / np)
                let vx = cov * (sxx / np - mx * mx), vy = cov * (syy / np - my * my), vxy = cov * (sxy / np - mx * my)
                total += ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
            }
        }
        return total / Double((h - 6) * (w - 6))
    }

    /// Pixel indices from the most to the least salient: NumPy's `argsort(map)[::-1]` with a stable sort
    /// (equal values come out in decreasing index order).
    public static func descendingOrder(_ map: [Float]) -> [Int] {
        Array(map.indices.sorted { map[$0] < map[$1] || (map[$0] == map[$1] && $0 < $1) }.reversed())
    }

    /// Fraction of the map's pixels whose value equals at least one other pixel's (0 for a map of distinct values).
    public static func tiedFraction(_ map: [Float]) -> Double {
        guard !map.isEmpty else { return 0 }
        var counts: [Float: Int] = [:]
        for v in map { counts[v, default: 0] += 1 }
        return Double(counts.values.filter { $0 > 1 }.reduce(0, +)) / Double(map.count)
    }
}
