/// The rfft2 frequency grid of an H×W image: bin (ky, kx) for kx in 0...W/2, as NumPy's `fftfreq` has it.
enum FrequencyGrid {
    /// `|f| = √(fx² + fy²)` in cycles per pixel for every bin, row-major [H, W/2+1].
    static func magnitudes(height h: Int, width w: Int) -> [Float] {
        let wc = w / 2 + 1
        var out = [Float](repeating: 0, count: h * wc)
        for ky in 0..<h {
            let fy = Float(ky <= (h - 1) / 2 ? ky : ky - h) / Float(h)
            for kx in 0..<wc {
                let fx = Float(kx) / Float(w)
                out[ky * wc + kx] = (fx * fx + fy * fy).squareRoot()
            }
        }
        return out
    }

    /// How many bins of the full spectrum rfft column `kx` stands for: 1 for column 0 and (even W) W/2, else 2.
    static func multiplicity(column kx: Int, width w: Int) -> Float {
        kx == 0 || (w % 2 == 0 && kx == w / 2) ? 1 : 2
    }
}
