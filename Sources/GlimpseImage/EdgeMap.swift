/// Edge maps of images given as channel planes.
public enum EdgeMap {
    /// Sobel edge magnitude as scikit-image's `filters.sobel` on the channel mean, computed in Double.
    ///
    /// g is the mean of the `channels` planes [C][H][W] (values in [0, 1]), padded by one pixel on each side by
    /// replicating the edge; Gx = ((g[i−1,j+1] − g[i−1,j−1]) + 2(g[i,j+1] − g[i,j−1]) + (g[i+1,j+1] − g[i+1,j−1]))/4,
    /// Gy likewise down the rows, and E = √((Gx² + Gy²)/2). Returns H×W values row-major, or an empty array when
    /// the sizes are not positive or `planar.count ≠ channels × height × width`.
    public static func sobel(planar: [Float], channels: Int, width: Int, height: Int) -> [Float] {
        guard channels > 0, width > 0, height > 0 else { return [] }
        let (n, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, planar.count / channels == n, planar.count % channels == 0 else { return [] }
        // Channel mean, with a replicated border: padded row r holds source row clamp(r − 1), likewise for columns.
        let pw = width + 2
        var g = [Double](repeating: 0, count: pw * (height + 2))
        let scale = 1 / Double(channels)
        for r in 0..<(height + 2) {
            let y = min(max(r - 1, 0), height - 1)
            for q in 0..<pw {
                let x = min(max(q - 1, 0), width - 1)
                var sum = 0.0
                for c in 0..<channels { sum += Double(planar[c * n + y * width + x]) }
                g[r * pw + q] = sum * scale
            }
        }
        var out = [Float](repeating: 0, count: n)
        for y in 0..<height {
            let up = y * pw, mid = up + pw, down = mid + pw
            for x in 0..<width {
                let l = x, c = x + 1, r = x + 2
                let gx = ((g[up + r] - g[up + l]) + 2 * (g[mid + r] - g[mid + l]) + (g[down + r] - g[down + l])) / 4
                let gy = ((g[down + l] - g[up + l]) + 2 * (g[down + c] - g[up + c]) + (g[down + r] - g[up + r])) / 4
                out[y * width + x] = Float(((gx * gx + gy * gy) / 2).squareRoot())
            }
        }
        return out
    }
}
