import Foundation

/// Structural similarity (Wang, Bovik, Sheikh & Simoncelli 2004) as scikit-image's
/// `structural_similarity(a, b, data_range=1, channel_axis=0, gaussian_weights=True, sigma=1.5,
/// use_sample_covariance=False)`: Gaussian window σ = 1.5 truncated at 3.5σ (11 taps), scipy's 'reflect' border,
/// K1 = 0.01, K2 = 0.03; the SSIM map is averaged without its 5-pixel border, then over channels.
public enum SSIM {
    public static func value(_ a: [Float], _ b: [Float], channels: Int, height: Int, width: Int) -> Double {
        let plane = height * width
        guard channels > 0, plane > 0, a.count == channels * plane, b.count == a.count else { return .nan }
        let kernel = gaussianKernel(sigma: 1.5, radius: 5)
        let c1 = 0.01 * 0.01, c2 = 0.03 * 0.03
        var total = 0.0
        for c in 0..<channels {
            let x = a[(c * plane)..<((c + 1) * plane)].map(Double.init), y = b[(c * plane)..<((c + 1) * plane)].map(Double.init)
            let blur = { (v: [Double]) in filter(v, kernel, height, width) }
            let mx = blur(x), my = blur(y)
            let sxx = blur(zip(x, x).map(*)), syy = blur(zip(y, y).map(*)), sxy = blur(zip(x, y).map(*))
            let pad = 5
            var sum = 0.0, count = 0
            for r in pad..<max(pad, height - pad) {
                for q in pad..<max(pad, width - pad) {
                    let i = r * width + q
                    let vx = sxx[i] - mx[i] * mx[i], vy = syy[i] - my[i] * my[i], cov = sxy[i] - mx[i] * my[i]
                    let s = ((2 * mx[i] * my[i] + c1) * (2 * cov + c2)) / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2))
                    sum += s
                    count += 1
                }
            }
            total += count > 0 ? sum / Double(count) : .nan
        }
        return total / Double(channels)
    }

    private static func gaussianKernel(sigma: Double, radius: Int) -> [Double] {
        let w = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let s = w.reduce(0, +)
        return w.map { $0 / s }
    }

    /// scipy.ndimage 'reflect' (half-sample symmetric: d c b a | a b c d | d c b a).
    private static func reflect(_ i: Int, _ n: Int) -> Int {
        var i = i
        let period = 2 * n
        i = ((i % period) + period) % period
        return i < n ? i : period - 1 - i
    }

    /// Separable filtering of one plane.
    private static func filter(_ v: [Double], _ k: [Double], _ h: Int, _ w: Int) -> [Double] {
        let r = k.count / 2
        var rows = [Double](repeating: 0, count: v.count)
        for y in 0..<h { for x in 0..<w {
            var s = 0.0
            for t in -r...r { s += k[t + r] * v[y * w + reflect(x + t, w)] }
            rows[y * w + x] = s
        } }
        var out = [Double](repeating: 0, count: v.count)
        for y in 0..<h { for x in 0..<w {
            var s = 0.0
            for t in -r...r { s += k[t + r] * rows[reflect(y + t, h) * w + x] }
            out[y * w + x] = s
        } }
        return out
    }
}
