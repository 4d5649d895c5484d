extension Depthwise {
    /// Whether `stride2BackwardInput` computes this geometry's input gradient: stride 2 both ways, no dilation, pads
    /// smaller than the kernel (TensorFlow "same" and PyTorch's usual pads are).
    static func usesStride2Backward(_ g: ConvGeometry) -> Bool {
        let o = g.o
        return o.strideY == 2 && o.strideX == 2 && o.dilationY == 1 && o.dilationX == 1
            && max(o.padTop, o.padBottom) < g.kh && max(o.padLeft, o.padRight) < g.kw
    }

    /// A zero-bordered copy of one output-gradient plane, shared by consecutive planes of one geometry on one thread:
    /// the border is zeroed once, every plane writes the same interior cells.
    final class Stride2Buffer {
        let border: Int, rowStride: Int
        let pointer: UnsafeMutablePointer<Float>

        init(_ g: ConvGeometry) {
            border = max(g.kh, g.kw)
            rowStride = (g.wo + 2 * border + 32 + 7) / 8 * 8
            let count = (g.ho + 2 * border) * rowStride
            pointer = .allocate(capacity: count)
            pointer.initialize(repeating: 0, count: count)
        }

        deinit { pointer.deallocate() }
    }

    /// The input gradient of one plane of a stride-2 depthwise convolution, by phase: input column 2b + p receives
    /// only the taps kx ≡ p + padLeft (mod 2), from output columns b + (p + padLeft − kx) / 2, which are contiguous
    /// in b; rows likewise. Each input row is built as its even and odd columns (SIMD8 each, every tap's weight
    /// broadcast once), interleaved as they are stored. Unlike a stride-1 correlation over the output gradient with
    /// zeros spread between its samples, no multiplication by an inserted zero is done (a quarter of the work).
    static func stride2BackwardInput(_ dout: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                     _ g: ConvGeometry, buffer: Stride2Buffer) {
        let (b, rs) = (buffer.border, buffer.rowStride)
        for oy in 0..<g.ho {
            (buffer.pointer + (oy + b) * rs + b).update(from: dout + oy * g.wo, count: g.wo)
        }
        let padded = UnsafePointer(buffer.pointer)
        let (pT, pL) = (g.o.padTop, g.o.padLeft)
        let counts = ((g.w + 1) / 2, g.w / 2)
        // Taps of (row parity r = (iy + pT) % 2, column phase p = ix % 2) at index (2r + p) · kh·kw: each weight, and
        // where its output gradient starts relative to row (iy + pT − r) / 2 and column ix / 2 (in the bordered copy).
        let stride = g.kh * g.kw
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * stride) { weights in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 4 * stride) { offsets in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 4) { tapCounts in
            for r in 0..<2 {
                for p in 0..<2 {
                    var t = 0
                    for ky in Swift.stride(from: r, to: g.kh, by: 2) {
                        for kx in Swift.stride(from: (p + pL) % 2, to: g.kw, by: 2) {
                            weights[(2 * r + p) * stride + t] = w[ky * g.kw + kx]
                            // Output row (iy + pT − ky) / 2 = (iy + pT − r) / 2 − (ky − r) / 2 for r = (iy + pT) % 2.
                            offsets[(2 * r + p) * stride + t] = -((ky - r) / 2) * rs + (p + pL - kx) / 2
                            t += 1
                        }
                    }
                    tapCounts[2 * r + p] = t
                }
            }
            for iy in 0..<g.h {
                let parity = (iy + pT) % 2
                let rowBase = padded + ((iy + pT - parity) / 2 + b) * rs + b
                let out = dx + iy * g.w
                var b0 = 0
                while b0 < counts.0 {
                    let even = accumulate(rowBase + b0, weights.baseAddress! + 2 * parity * stride,
                                          offsets.baseAddress! + 2 * parity * stride, tapCounts[2 * parity])
                    let odd = b0 < counts.1
                        ? accumulate(rowBase + b0, weights.baseAddress! + (2 * parity + 1) * stride,
                                     offsets.baseAddress! + (2 * parity + 1) * stride, tapCounts[2 * parity + 1])
                        : (SIMD8<Float>(), SIMD8<Float>())
                    store(even.0, odd.0, into: out, from: 2 * b0, width: g.w)
                    if b0 + 8 < counts.0 { store(even.1, odd.1, into: out, from: 2 * b0 + 16, width: g.w) }
                    b0 += 16
                }
            }
        }
        }
        }
    }

    /// Σ_t weights[t] · source[offsets[t] ..< +16], as two SIMD8 chunks (two independent FMA chains).
    @inline(__always) private static func accumulate(_ source: UnsafePointer<Float>, _ weights: UnsafePointer<Float>,
                                                     _ offsets: UnsafePointer<Int>, _ count: Int) -> (SIMD8<Float>, SIMD8<Float>) {
        var a = SIMD8<Float>(), c = SIMD8<Float>()
        for t in 0..<count {
            let wv = SIMD8(repeating: weights[t]), p = UnsafeRawPointer(source + offsets[t])
            a.addProduct(wv, p.loadUnaligned(as: SIMD8<Float>.self))
            c.addProduct(wv, p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
        }
        return (a, c)
    }

    /// Interleaves 8 even-column and 8 odd-column values into `out[start ..< start + 16]`, cut at `width`.
    @inline(__always) private static func store(_ even: SIMD8<Float>, _ odd: SIMD8<Float>, into out: UnsafeMutablePointer<Float>,
                                                from start: Int, width: Int) {
        if start + 16 <= width {
            var both = SIMD16<Float>()
            for l in 0..<8 { both[2 * l] = even[l]; both[2 * l + 1] = odd[l] }
            UnsafeMutableRawPointer(out + start).storeBytes(of: both, as: SIMD16<Float>.self)
        } else {
            for l in 0..<8 {
                if start + 2 * l < width { out[start + 2 * l] = even[l] }
                if start + 2 * l + 1 < width { out[start + 2 * l + 1] = odd[l] }
            }
        }
    }
}
