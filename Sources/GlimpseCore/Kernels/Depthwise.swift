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

    /// Forward pass of one plane. The plane is copied into a zero-bordered scratch of `scratchCount(g)` floats (for
    /// stride 2, split into even and odd column phases so every read is contiguous), then output rows are built four
    /// at a time in SIMD8 chunks: each tap's weight is broadcast once and applied to all four rows.
    /// Square 3×3 and 5×5 kernels at stride 1 or 2 get loops specialised for their size.
    ///
    /// The scratch must start all zero; only its interior cells are written, always the same ones for one geometry,
    /// so planes of the same geometry can reuse it without zeroing it again.
    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ g: ConvGeometry,
                        zeroedScratch scratch: UnsafeMutablePointer<Float>, epilogue: ConvKernels.PlaneEpilogue = ConvKernels.PlaneEpilogue()) {
        let o = g.o
        guard usesScratch(g) else {
            forwardGeneric(x, w, out, g)
            for i in 0..<g.spatialOut { out[i] = epilogue(out[i]) }
            return
        }
        fillScratch(x, g, scratch)
        let plane = Plane(scratch: scratch, rowStride: scratchRowStride(g), phase: (g.h + o.padTop + o.padBottom) * scratchRowStride(g),
                          w: w, out: out, ho: g.ho, wo: g.wo, epilogue: epilogue)
        guard g.kh == g.kw, o.dilationX == 1, o.dilationY == 1, o.strideY == o.strideX else {
            return plane.rowsOneByOne(kh: g.kh, kw: g.kw, strideY: o.strideY, strideX: o.strideX,
                                      dilationY: o.dilationY, dilationX: o.dilationX)
        }
        switch (g.kh, o.strideX) {
        case (3, 1): plane.rows(Taps<K3, S1>.self)
        case (3, 2): plane.rows(Taps<K3, S2>.self)
        case (5, 1): plane.rows(Taps<K5, S1>.self)
        case (5, 2): plane.rows(Taps<K5, S2>.self)
        default: plane.rowsOneByOne(kh: g.kh, kw: g.kw, strideY: o.strideY, strideX: o.strideX, dilationY: 1, dilationX: 1)
        }
    }

    /// A compile-time size (kernel side or stride), so that generic specialisation unrolls the tap loops.
    private protocol Size { static var value: Int { get } }
    private enum K3: Size { static var value: Int { 3 } }
    private enum K5: Size { static var value: Int { 5 } }
    private enum S1: Size { static var value: Int { 1 } }
    private enum S2: Size { static var value: Int { 2 } }
    /// Output rows per block.
    private enum R1: Size { static var value: Int { 1 } }
    private enum R2: Size { static var value: Int { 2 } }
    private enum R3: Size { static var value: Int { 3 } }
    private enum R4: Size { static var value: Int { 4 } }
    /// A square kernel side and a stride known at compile time.
    private enum Taps<K: Size, S: Size> {
        static var k: Int { K.value }
        static var s: Int { S.value }
    }

    /// Copies a plane into the zero-bordered scratch; for stride 2, padded column c goes to phase c % 2 at index
    /// c / 2 (source evens and odds are deinterleaved 8 at a time).
    private static func fillScratch(_ x: UnsafePointer<Float>, _ g: ConvGeometry, _ scratch: UnsafeMutablePointer<Float>) {
        let o = g.o
        let paddedH = g.h + o.padTop + o.padBottom
        let stride = scratchRowStride(g)
        let evenPhase = o.padLeft & 1, oddStart = (o.padLeft + 1) >> 1
        for y in 0..<g.h {
            let src = x + y * g.w
            if o.strideX == 1 {
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
    }

    /// One plane's filled scratch and its output, with the loops that read the one and write the other.
    ///
    /// Output chunks of 8 columns are stored whole, including lanes past the end of a row: those land at the start of
    /// a later row, which is always written afterwards (rows ascend, chunks within a row descend). Only a store that
    /// would pass the end of the plane is cut to its valid lanes.
    private struct Plane {
        let scratch: UnsafePointer<Float>
        /// Floats per scratch row, and per stride phase.
        let rowStride: Int, phase: Int
        let w: UnsafePointer<Float>
        let out: UnsafeMutablePointer<Float>
        let ho: Int, wo: Int
        let epilogue: ConvKernels.PlaneEpilogue

        init(scratch: UnsafeMutablePointer<Float>, rowStride: Int, phase: Int, w: UnsafePointer<Float>,
             out: UnsafeMutablePointer<Float>, ho: Int, wo: Int, epilogue: ConvKernels.PlaneEpilogue) {
            self.scratch = UnsafePointer(scratch)
            (self.rowStride, self.phase, self.w, self.out, self.ho, self.wo, self.epilogue) = (rowStride, phase, w, out, ho, wo, epilogue)
        }

        @inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
            UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
        }

        @inline(__always) func store(_ acc: SIMD8<Float>, row: Int, column: Int) {
            let y = epilogue(acc)
            let at = row * wo + column
            if at + 8 <= ho * wo {
                UnsafeMutableRawPointer(out + at).storeBytes(of: y, as: SIMD8<Float>.self)
            } else {
                for l in 0..<(ho * wo - at) { out[at + l] = y[l] }
            }
        }

        /// Where kernel column kx starts in the scratch: its stride phase and its index within the phase.
        @inline(__always) func column(_ kx: Int, stride s: Int, dilation d: Int = 1) -> Int {
            (kx * d % s) * phase + kx * d / s
        }

        /// A square k×k kernel, stride s, no dilation: four output rows at a time, then a block of the one to three
        /// rows left. Specialised for each size, the tap loops unroll and carry no branches.
        func rows<K: Size, S: Size>(_: Taps<K, S>.Type) {
            var oy = 0
            while oy + 4 <= ho {
                block(Taps<K, S>.self, R4.self, from: oy)
                oy += 4
            }
            switch ho - oy {
            case 3: block(Taps<K, S>.self, R3.self, from: oy)
            case 2: block(Taps<K, S>.self, R2.self, from: oy)
            case 1: block(Taps<K, S>.self, R1.self, from: oy)
            default: break
            }
        }

        /// R ≤ 4 output rows from `oy`, in SIMD8 chunks: each tap's weight is broadcast once and applied to every row.
        @inline(__always) func block<K: Size, S: Size, R: Size>(_: Taps<K, S>.Type, _: R.Type, from oy: Int) {
            let k = K.value, s = S.value, r = R.value
            let base = scratch + oy * s * rowStride
            var ox0 = (wo - 1) / 8 * 8
            while ox0 >= 0 {
                var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
                for ky in 0..<k {
                    for kx in 0..<k {
                        let wv = SIMD8(repeating: w[ky * k + kx])
                        let at = base + ky * rowStride + ox0 + column(kx, stride: s)
                        a0 = a0.addingProduct(wv, load(at))
                        if r > 1 { a1 = a1.addingProduct(wv, load(at + s * rowStride)) }
                        if r > 2 { a2 = a2.addingProduct(wv, load(at + 2 * s * rowStride)) }
                        if r > 3 { a3 = a3.addingProduct(wv, load(at + 3 * s * rowStride)) }
                    }
                }
                store(a0, row: oy, column: ox0)
                if r > 1 { store(a1, row: oy + 1, column: ox0) }
                if r > 2 { store(a2, row: oy + 2, column: ox0) }
                if r > 3 { store(a3, row: oy + 3, column: ox0) }
                ox0 -= 8
            }
        }

        /// Every output row, one at a time (any kernel shape and dilation): four chunks at a time, whose independent
        /// accumulators hide the FMA latency on long kernels (the 1×61 and 61×1 passes of a Gaussian blur), then the
        /// chunks left one by one. Each tap's scratch column offset is computed once per plane.
        func rowsOneByOne(kh: Int, kw: Int, strideY: Int, strideX: Int, dilationY: Int, dilationX: Int) {
            withUnsafeTemporaryAllocation(of: Int.self, capacity: kw) { columns in
                for kx in 0..<kw { columns[kx] = column(kx, stride: strideX, dilation: dilationX) }
                let lastChunk = (wo - 1) / 8 * 8
                for oy in 0..<ho {
                    let base = scratch + oy * strideY * rowStride
                    var ox0 = lastChunk
                    while ox0 >= 24 {
                        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
                        for ky in 0..<kh {
                            let row = base + ky * dilationY * rowStride + ox0
                            for kx in 0..<kw {
                                let wv = SIMD8(repeating: w[ky * kw + kx]), at = row + columns[kx]
                                a0 = a0.addingProduct(wv, load(at))
                                a1 = a1.addingProduct(wv, load(at - 8))
                                a2 = a2.addingProduct(wv, load(at - 16))
                                a3 = a3.addingProduct(wv, load(at - 24))
                            }
                        }
                        store(a0, row: oy, column: ox0)
                        store(a1, row: oy, column: ox0 - 8)
                        store(a2, row: oy, column: ox0 - 16)
                        store(a3, row: oy, column: ox0 - 24)
                        ox0 -= 32
                    }
                    while ox0 >= 0 {
                        var acc = SIMD8<Float>()
                        for ky in 0..<kh {
                            let row = base + ky * dilationY * rowStride + ox0
                            for kx in 0..<kw { acc = acc.addingProduct(SIMD8(repeating: w[ky * kw + kx]), load(row + columns[kx])) }
                        }
                        store(acc, row: oy, column: ox0)
                        ox0 -= 8
                    }
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

    /// The input gradient as a stride-1 correlation of the output gradient (with stride − 1 zeros spread between
    /// its samples when the stride is larger) with the flipped filter, so that the fast forward kernel computes it.
    /// Its geometry, or nil when the convolution leaves input rows or columns unread (then `backwardInput` scatters).
    static func transposedGeometry(_ g: ConvGeometry) -> ConvGeometry? {
        let o = g.o
        let reachY = (g.kh - 1) * o.dilationY, reachX = (g.kw - 1) * o.dilationX
        let uh = (g.ho - 1) * o.strideY + 1, uw = (g.wo - 1) * o.strideX + 1
        // The padding makes the result exactly the input's size.
        let transposed = Conv2DOptions(strideY: 1, strideX: 1, padTop: reachY - o.padTop, padBottom: g.h - uh + o.padTop,
                                       padLeft: reachX - o.padLeft, padRight: g.w - uw + o.padLeft,
                                       dilationY: o.dilationY, dilationX: o.dilationX)
        guard min(transposed.padTop, transposed.padBottom, transposed.padLeft, transposed.padRight) >= 0,
              let tg = try? ConvGeometry(input: [1, 1, uh, uw], filter: [1, 1, g.kh, g.kw], options: transposed),
              tg.ho == g.h, tg.wo == g.w else { return nil }
        return tg
    }

    /// Buffers for `backwardInput` of one geometry, shared by consecutive planes on one thread: the forward
    /// kernel's scratch and the spread output gradient. Both are zeroed once; every plane writes the same cells.
    final class BackwardBuffers {
        let transposed: ConvGeometry
        let scratch: UnsafeMutablePointer<Float>
        let spread: UnsafeMutablePointer<Float>?

        init(_ transposed: ConvGeometry, strided: Bool) {
            self.transposed = transposed
            let count = scratchCount(transposed)
            scratch = .allocate(capacity: count)
            scratch.initialize(repeating: 0, count: count)
            spread = strided ? .allocate(capacity: transposed.h * transposed.w) : nil
            spread?.initialize(repeating: 0, count: transposed.h * transposed.w)
        }

        deinit {
            scratch.deallocate()
            spread?.deallocate()
        }
    }

    /// The input gradient of one plane: through the forward kernel when `buffers` are given (see
    /// `transposedGeometry`), otherwise by scatter.
    static func backwardInput(_ dout: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry,
                              buffers: BackwardBuffers?) {
        let o = g.o
        if let buffers {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: g.kh * g.kw) { flipped in
                for t in 0..<(g.kh * g.kw) { flipped[t] = w[g.kh * g.kw - 1 - t] }
                var source = dout
                if let spread = buffers.spread {
                    let uw = buffers.transposed.w
                    for oy in 0..<g.ho {
                        let row = spread + oy * o.strideY * uw
                        for ox in 0..<g.wo { row[ox * o.strideX] = dout[oy * g.wo + ox] }
                    }
                    source = UnsafePointer(spread)
                }
                forward(source, flipped.baseAddress!, dx, buffers.transposed, zeroedScratch: buffers.scratch)
            }
            return
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
