/// Depthwise convolution kernels (one filter per channel), on one channel plane at a time.
/// Output rows are produced one at a time with every kernel tap applied while the row is in L1; loops run over
/// valid ranges only, so no padded copy is made; stride-1 inner loops vectorise.
enum Depthwise {
    /// Valid output-column range for each kernel column.
    @inline(__always) static func columnRanges(_ g: ConvGeometry) -> [Range<Int>] {
        (0..<g.kw).map { kx in
            ConvGeometry.validRange(out: g.wo, size: g.w, stride: g.o.strideX, pad: g.o.padLeft, offset: kx * g.o.dilationX)
        }
    }

    /// Forward pass of one plane. The plane is copied into a zero-bordered scratch (for stride 2, split into even and
    /// odd column phases so every read is contiguous), then each output row is built in SIMD8 chunks with all
    /// kernel taps accumulated in registers.
    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let o = g.o
        guard o.strideX <= 2, o.dilationX == 1 || o.strideX == 1 else { return forwardGeneric(x, w, out, g) }
        let s = o.strideX
        let paddedH = g.h + o.padTop + o.padBottom
        let paddedW = g.w + o.padLeft + o.padRight
        // Phase p holds padded columns p, p + s, p + 2s, ...; rows are over-allocated by 8 for SIMD over-reads.
        let phaseW = (paddedW + s - 1) / s
        let stride = ((phaseW + 8 + 7) / 8) * 8
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: s * paddedH * stride)
        defer { scratch.deallocate() }
        scratch.update(repeating: 0, count: s * paddedH * stride)
        for y in 0..<g.h {
            let src = x + y * g.w
            if s == 1 {
                (scratch + (y + o.padTop) * stride + o.padLeft).update(from: src, count: g.w)
            } else {
                for xIn in 0..<g.w {
                    let c = xIn + o.padLeft
                    scratch[((c & 1) * paddedH + y + o.padTop) * stride + (c >> 1)] = src[xIn]
                }
            }
        }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: g.kh * g.kw) { offsets in
            for ky in 0..<g.kh {
                for kx in 0..<g.kw {
                    let col = kx * o.dilationX
                    offsets[ky * g.kw + kx] = ((col % s) * paddedH + ky * o.dilationY) * stride + col / s
                }
            }
            let taps = g.kh * g.kw
            for oy in 0..<g.ho {
                let dstRow = out + oy * g.wo
                let rowBase = scratch + oy * o.strideY * stride
                var ox0 = 0
                while ox0 < g.wo {
                    var acc = SIMD8<Float>(repeating: 0)
                    let base = rowBase + ox0
                    for t in 0..<taps {
                        let v = UnsafeRawPointer(base + offsets[t]).loadUnaligned(as: SIMD8<Float>.self)
                        acc += SIMD8(repeating: w[t]) * v
                    }
                    let lanes = Swift.min(8, g.wo - ox0)
                    if lanes == 8 {
                        UnsafeMutableRawPointer(dstRow + ox0).storeBytes(of: acc, as: SIMD8<Float>.self)
                    } else {
                        for l in 0..<lanes { dstRow[ox0 + l] = acc[l] }
                    }
                    ox0 += 8
                }
            }
        }
    }

    /// Any stride and dilation, without the scratch copy.
    static func forwardGeneric(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let o = g.o
        let cols = columnRanges(g)
        let s = o.strideX
        for oy in 0..<g.ho {
            let dst = out + oy * g.wo
            dst.update(repeating: 0, count: g.wo)
            for ky in 0..<g.kh {
                let iy = oy * o.strideY - o.padTop + ky * o.dilationY
                if iy < 0 || iy >= g.h { continue }
                let row = x + iy * g.w
                for kx in 0..<g.kw {
                    let xs = cols[kx]
                    if xs.isEmpty { continue }
                    let wv = w[ky * g.kw + kx]
                    let src = row - o.padLeft + kx * o.dilationX
                    for ox in xs { dst[ox] += wv * src[ox * s] }
                }
            }
        }
    }

    static func backwardInput(_ dout: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let o = g.o
        let cols = columnRanges(g)
        let s = o.strideX
        dx.update(repeating: 0, count: g.h * g.w)
        for oy in 0..<g.ho {
            let src = dout + oy * g.wo
            for ky in 0..<g.kh {
                let iy = oy * o.strideY - o.padTop + ky * o.dilationY
                if iy < 0 || iy >= g.h { continue }
                let row = dx + iy * g.w
                for kx in 0..<g.kw {
                    let xs = cols[kx]
                    if xs.isEmpty { continue }
                    let wv = w[ky * g.kw + kx]
                    let dst = row - o.padLeft + kx * o.dilationX
                    if s == 1 {
                        for ox in xs { dst[ox] += wv * src[ox] }
                    } else {
                        for ox in xs { dst[ox * s] += wv * src[ox] }
                    }
                }
            }
        }
    }

    /// Adds this plane's filter gradient into `dw`.
    static func backwardFilter(_ x: UnsafePointer<Float>, _ dout: UnsafePointer<Float>, _ dw: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let o = g.o
        let cols = columnRanges(g)
        let s = o.strideX
        for oy in 0..<g.ho {
            let d = dout + oy * g.wo
            for ky in 0..<g.kh {
                let iy = oy * o.strideY - o.padTop + ky * o.dilationY
                if iy < 0 || iy >= g.h { continue }
                let row = x + iy * g.w
                for kx in 0..<g.kw {
                    let xs = cols[kx]
                    if xs.isEmpty { continue }
                    let src = row - o.padLeft + kx * o.dilationX
                    var acc: Float = 0
                    if s == 1 {
                        for ox in xs { acc += d[ox] * src[ox] }
                    } else {
                        for ox in xs { acc += d[ox] * src[ox * s] }
                    }
                    dw[ky * g.kw + kx] += acc
                }
            }
        }
    }
}
