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
        // Zero only what the copy below leaves untouched: border rows, and each interior row outside its data.
        for phase in 0..<s {
            let base = scratch + phase * paddedH * stride
            base.update(repeating: 0, count: o.padTop * stride)
            (base + (o.padTop + g.h) * stride).update(repeating: 0, count: (paddedH - o.padTop - g.h) * stride)
            // Columns c = xIn + padLeft with c % s == phase land at c / s.
            let first = phase >= o.padLeft ? phase / s : (o.padLeft + ((phase - o.padLeft) % s + s) % s) / s
            let lastColumn = o.padLeft + g.w - 1
            let lastInPhase = lastColumn - ((lastColumn - phase) % s + s) % s
            let end = lastInPhase >= phase && lastInPhase >= o.padLeft ? lastInPhase / s + 1 : first
            for y in 0..<g.h {
                let row = base + (y + o.padTop) * stride
                row.update(repeating: 0, count: first)
                (row + end).update(repeating: 0, count: stride - end)
            }
        }
        // Padded column c = xIn + padLeft goes to phase c % 2 at index c / 2: source evens and odds are
        // deinterleaved 8 at a time and written to the phases those columns fall in.
        let evenPhase = o.padLeft & 1, oddStart = (o.padLeft + 1) >> 1
        for y in 0..<g.h {
            let src = x + y * g.w
            if s == 1 {
                (scratch + (y + o.padTop) * stride + o.padLeft).update(from: src, count: g.w)
                continue
            }
            let evens = scratch + (evenPhase * paddedH + y + o.padTop) * stride + (o.padLeft >> 1)
            let odds = scratch + ((1 - evenPhase) * paddedH + y + o.padTop) * stride + (evenPhase == 0 ? o.padLeft >> 1 : oddStart)
            var j = 0
            while 2 * j + 16 <= g.w {
                let v = UnsafeRawPointer(src + 2 * j).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(evens + j).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(odds + j).storeBytes(of: v.oddHalf, as: SIMD8<Float>.self)
                j += 8
            }
            while 2 * j < g.w {
                evens[j] = src[2 * j]
                if 2 * j + 1 < g.w { odds[j] = src[2 * j + 1] }
                j += 1
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

    /// The input gradient: for stride 1 a correlation of the output gradient with the flipped filter (so the fast
    /// forward kernel does it); otherwise a scatter.
    static func backwardInput(_ dout: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let o = g.o
        let reachY = (g.kh - 1) * o.dilationY, reachX = (g.kw - 1) * o.dilationX
        if o.strideX == 1 && o.strideY == 1 && o.padTop <= reachY && o.padBottom <= reachY && o.padLeft <= reachX && o.padRight <= reachX {
            let flipped = UnsafeMutablePointer<Float>.allocate(capacity: g.kh * g.kw)
            defer { flipped.deallocate() }
            for t in 0..<(g.kh * g.kw) { flipped[t] = w[g.kh * g.kw - 1 - t] }
            let transposed = Conv2DOptions(strideY: 1, strideX: 1, padTop: reachY - o.padTop, padBottom: reachY - o.padBottom,
                                           padLeft: reachX - o.padLeft, padRight: reachX - o.padRight,
                                           dilationY: o.dilationY, dilationX: o.dilationX)
            if let tg = try? ConvGeometry(input: [1, 1, g.ho, g.wo], filter: [1, 1, g.kh, g.kw], options: transposed),
               tg.ho == g.h, tg.wo == g.w {
                forward(dout, flipped, dx, tg)
                return
            }
        }
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
