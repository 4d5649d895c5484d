/// The pullback of a fused ReLU/ReLU6 on raw buffers: `g · 1[0 < y < upper]` (and `g > 0` when `positiveOnly`,
/// guided backpropagation), where y is the activation's output (or input: the test is the same).
struct ActivationMask {
    let activation: UnsafePointer<Float>
    let upper: Float
    let positiveOnly: Bool
    /// The same test recorded as bits by the forward pass (1×1 convolutions); `applyRun` reads these instead of
    /// `activation` when present.
    var bits: BitRows? = nil

    /// Writes the masked g[row · rowLength + start + i] to out[i] for i in 0..<count: from the bits when there are
    /// (start a multiple of 8), else from the activation.
    @inline(__always) func applyRun(_ g: UnsafePointer<Float>, row: Int, start: Int, count: Int, rowLength: Int,
                                    into out: UnsafeMutablePointer<Float>) {
        if let bits {
            bits.apply(g + row * rowLength + start, row: row, start: start, count: count, positiveOnly: positiveOnly, into: out)
        } else {
            apply(g, from: row * rowLength + start, count: count, into: out)
        }
    }

    /// Writes the masked `g[start + i]` to `out[i]` for i in 0..<count (g is indexed like the activation), eight
    /// lanes at a time.
    @inline(__always) func apply(_ g: UnsafePointer<Float>, from start: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        let zero = SIMD8<Float>(), hi = SIMD8<Float>(repeating: upper)
        let px = activation + start, pg = g + start
        var i = 0
        while i + 8 <= count {
            let xv = UnsafeRawPointer(px + i).loadUnaligned(as: SIMD8<Float>.self)
            var gv = UnsafeRawPointer(pg + i).loadUnaligned(as: SIMD8<Float>.self)
            var pass = (xv .> zero) .& (xv .< hi)
            if positiveOnly { pass = pass .& (gv .> zero) }
            gv.replace(with: zero, where: .!pass)
            UnsafeMutableRawPointer(out + i).storeBytes(of: gv, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            out[i] = px[i] > 0 && px[i] < upper && (!positiveOnly || pg[i] > 0) ? pg[i] : 0
            i += 1
        }
    }
}
