/// Convolution drivers on raw buffers: forward, gradient with respect to the input, and with respect
/// to the filter. im2col + SGEMM in general, direct kernels for depthwise, no im2col for 1×1 stride-1.
enum ConvKernels {
    /// Per-channel bias and activation applied to output planes while they are still in cache.
    struct Epilogue {
        var bias: UnsafePointer<Float>?
        var activation: FusedActivation = .none
        /// Where a 1×1 convolution that `recordsActivationBits` records its activation's gradient mask.
        var bits: BitRows?

        var isEmpty: Bool { bias == nil && activation == .none }

        /// The epilogue of channel `channel`'s plane.
        @inline(__always) func plane(_ channel: Int) -> PlaneEpilogue {
            PlaneEpilogue(bias: bias?[channel] ?? 0, activation: activation)
        }

        /// Applies the epilogue to `planes` consecutive output planes of `size` floats starting at channel `channel`,
        /// eight lanes at a time.
        @inline(__always) func apply(_ out: UnsafeMutablePointer<Float>, channel: Int, planes: Int, size: Int) {
            if isEmpty { return }
            for p in 0..<planes {
                let epilogue = plane(channel + p), values = out + p * size
                var i = 0
                while i + 8 <= size {
                    let v = UnsafeRawPointer(values + i).loadUnaligned(as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(values + i).storeBytes(of: epilogue(v), as: SIMD8<Float>.self)
                    i += 8
                }
                while i < size { values[i] = epilogue(values[i]); i += 1 }
            }
        }
    }

    /// Bias and clamp applied to one plane's outputs as they are stored (an inference convolution's epilogue).
    struct PlaneEpilogue {
        var bias: Float = 0
        var activation: FusedActivation = .none

        @inline(__always) func callAsFunction(_ a: SIMD8<Float>) -> SIMD8<Float> {
            var y = a + SIMD8(repeating: bias)
            if activation != .none { y.replace(with: 0, where: y .< 0) }
            if activation == .relu6 { y.replace(with: 6, where: y .> 6) }
            return y
        }

        @inline(__always) func callAsFunction(_ a: Float) -> Float {
            let y = a + bias
            if activation == .none { return y }
            return activation == .relu6 ? Swift.min(Swift.max(y, 0), 6) : Swift.max(y, 0)
        }
    }

    /// `packed`: the weights' packed GEMM copies (frozen 1×1 weights only); nil runs `cblas_sgemm`.
    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ g: ConvGeometry,
                        epilogue: Epilogue = Epilogue(), packed: PackedWeights? = nil) {
        nonisolated(unsafe) let (x, w, out) = (x, w, out)
        let inImage = g.cin * g.h * g.w, outImage = g.cout * g.spatialOut
        if g.isDepthwise {
            // Contiguous runs of planes per thread, sharing one scratch buffer zeroed once.
            parallelChunks(g.n * g.cin, workPerItem: 2 * g.kh * g.kw * g.spatialOut) { planes in
                let count = Depthwise.scratchCount(g)
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: count)
                scratch.initialize(repeating: 0, count: count)
                defer { scratch.deallocate() }
                for p in planes {
                    let c = p % g.cin
                    Depthwise.forward(x + p * g.h * g.w, w + c * g.kh * g.kw, out + p * g.spatialOut, g, zeroedScratch: scratch,
                                      epilogue: epilogue.plane(c))
                }
            }
            return
        }
        if g.isPointwise && g.o.groups == 1 && g.n == 1 && splitsRows(g, rows: g.cout) {
            pointwiseRows(x, w, out, g, epilogue: epilogue, packed: packed)
            return
        }
        if g.isPointwise && g.o.groups == 1 && (g.n > 1 || splitsColumns(g)) {
            pointwiseTiled(x, w, out, g, epilogue: epilogue, packed: packed)
            return
        }
        let filterGroup = g.coutPerGroup * g.colRows
        if g.n == 1 && !g.isPointwise && g.o.groups == 1 && g.ho >= 2 * glimpseThreadCount && g.flops >= 1 << 22 {
            // One image: bands of output rows, each expanded and multiplied by its own thread.
            let bands = glimpseThreadCount
            parallelFor(bands, workPerItem: g.flops / bands) { b in
                let rows = (b * g.ho / bands)..<((b + 1) * g.ho / bands)
                let col = UnsafeMutablePointer<Float>.allocate(capacity: g.colRows * rows.count * g.wo)
                defer { col.deallocate() }
                Im2col.expand(x, g, into: col, rows: rows)
                gemm(transA: false, transB: false, m: g.cout, n: rows.count * g.wo, k: g.colRows, a: w, lda: g.colRows,
                     b: col, ldb: rows.count * g.wo, beta: 0, c: out + rows.lowerBound * g.wo, ldc: g.spatialOut, split: false)
                for c in 0..<g.cout {
                    epilogue.apply(out + c * g.spatialOut + rows.lowerBound * g.wo, channel: c, planes: 1, size: rows.count * g.wo)
                }
            }
            return
        }
        let perImage = { (i: Int, split: Bool) in
            let col = g.isPointwise ? nil : UnsafeMutablePointer<Float>.allocate(capacity: g.colRows * g.spatialOut)
            defer { col?.deallocate() }
            for grp in 0..<g.o.groups {
                let xg = x + i * inImage + grp * g.cinPerGroup * g.h * g.w
                let b: UnsafePointer<Float>
                if let col { Im2col.expand(xg, g, into: col); b = UnsafePointer(col) } else { b = xg }
                gemm(transA: false, transB: false, m: g.coutPerGroup, n: g.spatialOut, k: g.colRows,
                     a: w + grp * filterGroup, lda: g.colRows, b: b, ldb: g.spatialOut, beta: 0,
                     c: out + i * outImage + grp * g.coutPerGroup * g.spatialOut, ldc: g.spatialOut, split: split)
            }
            epilogue.apply(out + i * outImage, channel: 0, planes: g.cout, size: g.spatialOut)
        }
        if g.n == 1 { perImage(0, true) } else { parallelFor(g.n, workPerItem: g.flops / g.n) { perImage($0, false) } }
    }

    /// A 1×1 convolution in column tiles small enough that the bias and activation are applied while the tile is
    /// still in cache. One image is split by columns across threads; a batch, by images.
    private static func pointwiseTiled(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                                       _ g: ConvGeometry, epilogue: Epilogue, packed: PackedWeights?) {
        nonisolated(unsafe) let (x, w, out) = (x, w, out)
        let n = g.spatialOut
        let activation = Epilogue(activation: epilogue.activation)
        let band = packed?.forward(rows: 0..<g.cout, cin: g.cin)
        forEachColumnTile(g) { image, lo, hi in
            let xi = x + image * g.cin * n, oi = out + image * g.cout * n
            // The tile starts as the bias and GEMM accumulates into it (beta 1: no separate zeroing pass).
            for c in 0..<g.cout { (oi + c * n + lo).update(repeating: epilogue.bias?[c] ?? 0, count: hi - lo) }
            if let packed, let band {
                packed.panels.multiply(band, xi + lo, ldx: n, columns: hi - lo, into: oi + lo, ldc: n)
            } else {
                gemm(transA: false, transB: false, m: g.cout, n: hi - lo, k: g.cin, a: w, lda: g.cin,
                     b: xi + lo, ldb: n, beta: 1, c: oi + lo, ldc: n, split: false)
            }
            for c in 0..<g.cout {
                activation.apply(oi + c * n + lo, channel: c, planes: 1, size: hi - lo)
                epilogue.bits?.record(oi + c * n + lo, row: image * g.cout + c, start: lo, count: hi - lo,
                                      upper: epilogue.activation.upper)
            }
        }
    }

    /// One image's 1×1 convolution split by output channels across threads, each running one GEMM over all the
    /// pixels and then its channels' bias and activation. For small planes: column tiles would make every thread
    /// (and every tile) repack the whole weight matrix, which is larger than the image there.
    private static func pointwiseRows(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                                      _ g: ConvGeometry, epilogue: Epilogue, packed: PackedWeights?) {
        nonisolated(unsafe) let (x, w, out) = (x, w, out)
        let n = g.spatialOut
        let activation = Epilogue(activation: epilogue.activation)
        parallelBands(g.cout, workPerItem: g.flops / g.cout) { rows, _ in
            let lo = rows.lowerBound
            for c in rows { (out + c * n).update(repeating: epilogue.bias?[c] ?? 0, count: n) }
            if let packed {
                packed.panels.multiply(packed.forward(rows: rows, cin: g.cin), x, ldx: n, columns: n, into: out + lo * n, ldc: n)
            } else {
                gemm(transA: false, transB: false, m: rows.count, n: n, k: g.cin, a: w + lo * g.cin, lda: g.cin,
                     b: x, ldb: n, beta: 1, c: out + lo * n, ldc: n, split: false)
            }
            activation.apply(out + lo * n, channel: lo, planes: rows.count, size: n)
            if let bits = epilogue.bits {
                for c in rows { bits.record(out + c * n, row: c, start: 0, count: n, upper: epilogue.activation.upper) }
            }
        }
    }

    /// Whether `forward` runs this geometry through `pointwiseRows` or `pointwiseTiled`, which fill `Epilogue.bits`.
    static func recordsActivationBits(_ g: ConvGeometry) -> Bool {
        g.isPointwise && g.o.groups == 1 && ((g.n == 1 && splitsRows(g, rows: g.cout)) || g.n > 1 || splitsColumns(g))
    }

    /// Whether one image's output pixels are numerous enough (64 per thread) to be split across threads by column.
    @inline(__always) private static func splitsColumns(_ g: ConvGeometry) -> Bool {
        g.spatialOut >= 64 * glimpseThreadCount
    }

    /// Whether a 1×1 GEMM over one image with `rows` output rows (and the other channel count as its depth) is
    /// better split by rows: when rows outnumber the pixels, its weight matrix is larger than its image, and
    /// splitting by rows shares out the weights' packing instead of repeating it on every thread.
    @inline(__always) private static func splitsRows(_ g: ConvGeometry, rows: Int) -> Bool {
        rows > g.spatialOut && rows >= 16 * glimpseThreadCount
    }

    /// Column tiles of a 1×1 convolution's output pixels, about 128 KB of `cout` rows each, in multiples of 16
    /// columns: `body(image, lo, hi)` per tile. One image is split by columns across threads (when it has at least
    /// 64 columns per thread), a batch by images; tiles of one thread run in order. Every tile starts at a multiple of
    /// 16 columns (`ActivationBits` runs start on a byte).
    private static func forEachColumnTile(_ g: ConvGeometry, _ body: @escaping (Int, Int, Int) -> Void) {
        let n = g.spatialOut
        let tile = Swift.max(64, (32 * 1024 / g.cout) / 16 * 16)
        let walk = { (image: Int, columns: Range<Int>) in
            var lo = columns.lowerBound
            while lo < columns.upperBound {
                let hi = Swift.min(lo + tile, columns.upperBound)
                body(image, lo, hi)
                lo = hi
            }
        }
        if g.n > 1 {
            parallelFor(g.n, workPerItem: g.flops / g.n) { walk($0, 0..<n) }
        } else {
            let parts = splitsColumns(g) ? glimpseThreadCount : 1
            let bound = { (p: Int) in p == parts ? n : p * n / parts / 16 * 16 }
            parallelFor(parts, workPerItem: g.flops / parts) { p in walk(0, bound(p)..<bound(p + 1)) }
        }
    }

    static func backwardInput(_ dout: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry,
                              packed: PackedWeights? = nil) {
        nonisolated(unsafe) let (dout, w, dx) = (dout, w, dx)
        let inImage = g.cin * g.h * g.w, outImage = g.cout * g.spatialOut
        if g.isDepthwise {
            depthwiseBackwardInput(dout, w, dx, g, mask: nil)
            return
        }
        if let packed, g.isPointwise && g.o.groups == 1 {
            pointwiseBackwardInput(dout, w, dx, g, mask: nil, packed: packed)
            return
        }
        let filterGroup = g.coutPerGroup * g.colRows
        let perImage = { (i: Int, split: Bool) in
            let col = g.isPointwise ? nil : UnsafeMutablePointer<Float>.allocate(capacity: g.colRows * g.spatialOut)
            defer { col?.deallocate() }
            let dxi = dx + i * inImage
            if col != nil { dxi.update(repeating: 0, count: inImage) }
            for grp in 0..<g.o.groups {
                let target = col ?? (dxi + grp * g.cinPerGroup * g.h * g.w)
                gemm(transA: true, transB: false, m: g.colRows, n: g.spatialOut, k: g.coutPerGroup,
                     a: w + grp * filterGroup, lda: g.colRows,
                     b: dout + i * outImage + grp * g.coutPerGroup * g.spatialOut, ldb: g.spatialOut,
                     beta: 0, c: target, ldc: g.spatialOut, split: split)
                if let col { Im2col.accumulate(col, g, into: dxi + grp * g.cinPerGroup * g.h * g.w) }
            }
        }
        if g.n == 1 { perImage(0, true) } else { parallelFor(g.n, workPerItem: g.flops / g.n) { perImage($0, false) } }
    }

    /// The input gradient of a depthwise convolution, its output gradient first masked by `mask` (the pullback of
    /// the convolution's fused activation) one plane at a time, in cache, when given.
    static func depthwiseBackwardInput(_ dout: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                       _ g: ConvGeometry, mask: ActivationMask?) {
        nonisolated(unsafe) let (dout, w, dx) = (dout, w, dx)
        let stride2 = Depthwise.usesStride2Backward(g)
        let transposed = stride2 ? nil : Depthwise.transposedGeometry(g)
        parallelChunks(g.n * g.cin, workPerItem: 2 * g.kh * g.kw * g.h * g.w) { planes in
            let stride2Buffer = stride2 ? Depthwise.Stride2Buffer(g) : nil
            let buffers = transposed.map { Depthwise.BackwardBuffers($0, strided: g.o.strideX > 1 || g.o.strideY > 1) }
            let masked = mask.map { _ in UnsafeMutablePointer<Float>.allocate(capacity: g.spatialOut) }
            defer { masked?.deallocate() }
            for p in planes {
                let c = p % g.cin
                var source = dout + p * g.spatialOut
                if let mask, let masked {
                    mask.apply(dout, from: p * g.spatialOut, count: g.spatialOut, into: masked)
                    source = UnsafePointer(masked)
                }
                if let stride2Buffer {
                    Depthwise.stride2BackwardInput(source, w + c * g.kh * g.kw, dx + p * g.h * g.w, g, buffer: stride2Buffer)
                } else {
                    Depthwise.backwardInput(source, w + c * g.kh * g.kw, dx + p * g.h * g.w, g, buffers: buffers)
                }
            }
        }
    }

    /// The input gradient of a 1×1 convolution (dx = Wᵀ·dout per image), the output gradient masked by `mask` (the
    /// pullback of the convolution's fused activation, when given) in column tiles that stay in cache for the GEMM.
    /// One image is split by columns across threads (by input channels for small planes); a batch, by images.
    /// `packed`: the weights' packed GEMM copies; nil runs `cblas_sgemm`.
    static func pointwiseBackwardInput(_ dout: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                       _ g: ConvGeometry, mask: ActivationMask?, packed: PackedWeights? = nil) {
        nonisolated(unsafe) let (dout, w, dx) = (dout, w, dx)
        let n = g.spatialOut
        // dx rows `rows` (input channels) = Wᵀ[rows, :] · source, where source is the (masked) output gradient.
        let multiply = { (rows: Range<Int>, source: UnsafePointer<Float>, ldSource: Int, width: Int, target: UnsafeMutablePointer<Float>) in
            if let packed {
                for r in 0..<rows.count { (target + r * n).update(repeating: 0, count: width) }
                packed.panels.multiply(packed.transposed(rows: rows, cin: g.cin, cout: g.cout), source, ldx: ldSource,
                                       columns: width, into: target, ldc: n)
            } else {
                gemm(transA: true, transB: false, m: rows.count, n: width, k: g.cout, a: w + rows.lowerBound, lda: g.cin,
                     b: source, ldb: ldSource, beta: 0, c: target, ldc: n, split: false)
            }
        }
        if g.n == 1 && (!splitsColumns(g) || splitsRows(g, rows: g.cin)) {
            // Small planes: mask the whole output gradient (a band of channels per thread), then split the GEMM's
            // rows across threads, so that each packs (or reads packed) only its part of the weights.
            var source = dout
            let masked = mask.map { _ in UnsafeMutablePointer<Float>.allocate(capacity: g.cout * n) }
            defer { masked?.deallocate() }
            if let mask, let masked {
                nonisolated(unsafe) let target = masked
                parallelBands(g.cout, workPerItem: 4 * n) { rows, _ in
                    if mask.bits == nil {  // one contiguous run: short rows mask slower one by one
                        mask.apply(dout, from: rows.lowerBound * n, count: rows.count * n, into: target + rows.lowerBound * n)
                    } else {
                        for c in rows { mask.applyRun(dout, row: c, start: 0, count: n, rowLength: n, into: target + c * n) }
                    }
                }
                source = UnsafePointer(masked)
            }
            nonisolated(unsafe) let gradient = source
            parallelBands(g.cin, workPerItem: g.flops / g.cin) { rows, _ in
                multiply(rows, gradient, n, n, dx + rows.lowerBound * n)
            }
            return
        }
        forEachColumnTile(g) { image, lo, hi in
            let width = hi - lo, first = image * g.cout * n + lo, target = dx + image * g.cin * n + lo
            guard let mask else {
                multiply(0..<g.cin, dout + first, n, width, target)
                return
            }
            let masked = UnsafeMutablePointer<Float>.allocate(capacity: g.cout * width)
            defer { masked.deallocate() }
            for c in 0..<g.cout {
                mask.applyRun(dout, row: image * g.cout + c, start: lo, count: width, rowLength: n, into: masked + c * width)
            }
            multiply(0..<g.cin, masked, width, width, target)
        }
    }

    static func backwardFilter(_ x: UnsafePointer<Float>, _ dout: UnsafePointer<Float>, _ dw: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        nonisolated(unsafe) let (x, dout, dw) = (x, dout, dw)
        let inImage = g.cin * g.h * g.w, outImage = g.cout * g.spatialOut
        let filterCount = g.cout * g.colRows
        dw.update(repeating: 0, count: filterCount)
        if g.isDepthwise {
            parallelFor(g.cin, workPerItem: 2 * g.n * g.kh * g.kw * g.spatialOut) { c in
                for i in 0..<g.n {
                    Depthwise.backwardFilter(x + (i * g.cin + c) * g.h * g.w, dout + (i * g.cin + c) * g.spatialOut,
                                             dw + c * g.kh * g.kw, g)
                }
            }
            return
        }
        let filterGroup = g.coutPerGroup * g.colRows
        // Images are split into chunks, each accumulating its own partial filter gradient.
        let chunks = g.n > 1 ? min(g.n, glimpseThreadCount) : 1
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: chunks * filterCount)
        defer { partials.deallocate() }
        partials.update(repeating: 0, count: chunks * filterCount)
        nonisolated(unsafe) let parts = partials
        parallelFor(chunks, workPerItem: g.flops / max(chunks, 1)) { chunk in
            let acc = parts + chunk * filterCount
            let col = g.isPointwise ? nil : UnsafeMutablePointer<Float>.allocate(capacity: g.colRows * g.spatialOut)
            defer { col?.deallocate() }
            for i in (chunk * g.n / chunks)..<((chunk + 1) * g.n / chunks) {
                for grp in 0..<g.o.groups {
                    let xg = x + i * inImage + grp * g.cinPerGroup * g.h * g.w
                    let b: UnsafePointer<Float>
                    if let col { Im2col.expand(xg, g, into: col); b = UnsafePointer(col) } else { b = xg }
                    gemm(transA: false, transB: true, m: g.coutPerGroup, n: g.colRows, k: g.spatialOut,
                         a: dout + i * outImage + grp * g.coutPerGroup * g.spatialOut, lda: g.spatialOut,
                         b: b, ldb: g.spatialOut, beta: 1, c: acc + grp * filterGroup, ldc: g.colRows, split: chunks == 1)
                }
            }
        }
        for chunk in 0..<chunks {
            let p = partials + chunk * filterCount
            for j in 0..<filterCount { dw[j] += p[j] }
        }
    }
}
