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

    /// Whether `forward` uses the scratch-copy kernel (otherwise the generic loop, which needs no scratch).
    @inline(__always) static func usesScratch(_ g: ConvGeometry) -> Bool {
        g.o.strideX <= 2 && (g.o.dilationX == 1 || g.o.strideX == 1)
    }

    /// Row stride of one scratch phase: padded columns of the phase plus 8 for SIMD over-reads, rounded up to 8.
    @inline(__always) static func scratchRowStride(_ g: ConvGeometry) -> Int {
        let s = g.o.strideX
        let phaseW = (g.w + g.o.padLeft + g.o.padRight + s - 1) / s
        return ((phaseW + 8 + 7) / 8) * 8
    }

    /// Floats of scratch one `forward` call needs.
    static func scratchCount(_ g: ConvGeometry) -> Int {
        usesScratch(g) ? g.o.strideX * (g.h + g.o.padTop + g.o.padBottom) * scratchRowStride(g) : 0
    }

    /// Forward pass of one plane with its own scratch.
    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let count = scratchCount(g)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: count)
        scratch.initialize(repeating: 0, count: count)
        defer { scratch.deallocate() }
        forward(x, w, out, g, zeroedScratch: scratch)
    }

    /// Forward pass of one plane. The plane is copied into a zero-bordered scratch of `scratchCount(g)` floats (for
    /// stride 2, split into even and odd column phases so every read is contiguous), then output rows are built four
    /// at a time in SIMD8 chunks: each input vector is loaded once and fed to every output row whose window covers it.
    ///
    /// The scratch must start all zero; only its interior cells are written, always the same ones for one geometry,
    /// so planes of the same geometry can reuse it without zeroing it again.
    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ g: ConvGeometry,
                        zeroedScratch scratch: UnsafeMutablePointer<Float>) {
        let o = g.o
        guard usesScratch(g) else { return forwardGeneric(x, w, out, g) }
        let s = o.strideX
        let paddedH = g.h + o.padTop + o.padBottom
        // Phase p holds padded columns p, p + s, p + 2s, ...
        let stride = scratchRowStride(g)
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
        withUnsafeTemporaryAllocation(of: Int.self, capacity: g.kw) { columns in
            // Where kernel column kx starts in the scratch: its phase plane and its index within the phase.
            for kx in 0..<g.kw {
                let col = kx * o.dilationX
                columns[kx] = (col % s) * paddedH * stride + col / s
            }
            @inline(__always) func store(_ acc: SIMD8<Float>, _ row: UnsafeMutablePointer<Float>, _ lanes: Int) {
                if lanes == 8 {
                    UnsafeMutableRawPointer(row).storeBytes(of: acc, as: SIMD8<Float>.self)
                } else {
                    for l in 0..<lanes { row[l] = acc[l] }
                }
            }
            let sy = o.strideY, dy = o.dilationY
            var oy = 0
            if dy == 1 {
                // Four output rows read input rows oy·sy ..< oy·sy + 3·sy + kh of the scratch.
                let span = 3 * sy + g.kh
                while oy + 4 <= g.ho {
                    let rowBase = scratch + oy * sy * stride
                    var ox0 = 0
                    while ox0 < g.wo {
                        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
                        for j in 0..<span {
                            let row = rowBase + j * stride + ox0
                            let k0 = j, k1 = j - sy, k2 = j - 2 * sy, k3 = j - 3 * sy
                            for kx in 0..<g.kw {
                                let v = UnsafeRawPointer(row + columns[kx]).loadUnaligned(as: SIMD8<Float>.self)
                                if k0 < g.kh { a0 += SIMD8(repeating: w[k0 * g.kw + kx]) * v }
                                if k1 >= 0 && k1 < g.kh { a1 += SIMD8(repeating: w[k1 * g.kw + kx]) * v }
                                if k2 >= 0 && k2 < g.kh { a2 += SIMD8(repeating: w[k2 * g.kw + kx]) * v }
                                if k3 >= 0 { a3 += SIMD8(repeating: w[k3 * g.kw + kx]) * v }
                            }
                        }
                        let lanes = Swift.min(8, g.wo - ox0)
                        store(a0, out + oy * g.wo + ox0, lanes)
                        store(a1, out + (oy + 1) * g.wo + ox0, lanes)
                        store(a2, out + (oy + 2) * g.wo + ox0, lanes)
                        store(a3, out + (oy + 3) * g.wo + ox0, lanes)
                        ox0 += 8
                    }
                    oy += 4
                }
            }
            // Remaining rows (and dilated kernels) one at a time.
            while oy < g.ho {
                let rowBase = scratch + oy * sy * stride
                var ox0 = 0
                while ox0 < g.wo {
                    var acc = SIMD8<Float>(repeating: 0)
                    for ky in 0..<g.kh {
                        let row = rowBase + ky * dy * stride + ox0
                        for kx in 0..<g.kw {
                            let v = UnsafeRawPointer(row + columns[kx]).loadUnaligned(as: SIMD8<Float>.self)
                            acc += SIMD8(repeating: w[ky * g.kw + kx]) * v
                        }
                    }
                    store(acc, out + oy * g.wo + ox0, Swift.min(8, g.wo - ox0))
                    ox0 += 8
                }
                oy += 1
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
