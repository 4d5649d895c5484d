import GlimpseCore

/// An affine map of pixel positions, `(y, x) → (yy·y + yx·x + y0, xy·y + xx·x + x0)`.
struct Affine {
    var yy: Float, yx: Float, y0: Float, xy: Float, xx: Float, x0: Float

    /// `self ∘ inner`: applies `inner` first.
    func after(_ i: Affine) -> Affine {
        Affine(yy: yy * i.yy + yx * i.xy, yx: yy * i.yx + yx * i.xx, y0: yy * i.y0 + yx * i.x0 + y0,
               xy: xy * i.yy + xx * i.xy, xx: xy * i.yx + xx * i.xx, x0: xy * i.y0 + xx * i.x0 + x0)
    }

    @inline(__always) func callAsFunction(_ y: Float, _ x: Float) -> (y: Float, x: Float) {
        (yy * y + yx * x + y0, xy * y + xx * x + x0)
    }
}

/// One drawn transform: its output size and the affine map from an output pixel position to its input position.
struct WarpStage {
    let outputHeight: Int
    let outputWidth: Int
    let map: Affine
    /// Sources outside `lowY…highY` × `lowX…highX` take this constant (nil: every source is sampled).
    var fill: Float?
    var lowY: Float = 0, highY: Float = 0, lowX: Float = 0, highX: Float = 0
    /// Bilinear taps outside the input contribute 0 (`grid_sample`'s zero padding) instead of repeating the edge.
    var zeroTaps = false

    init(outputHeight: Int, outputWidth: Int, yy: Float, yx: Float, y0: Float, xy: Float, xx: Float, x0: Float) {
        (self.outputHeight, self.outputWidth) = (outputHeight, outputWidth)
        map = Affine(yy: yy, yx: yx, y0: y0, xy: xy, xx: xx, x0: x0)
    }

    /// `source = output + (dy, dx)`.
    static func shift(height oh: Int, width ow: Int, dy: Float, dx: Float) -> WarpStage {
        WarpStage(outputHeight: oh, outputWidth: ow, yy: 1, yx: 0, y0: dy, xy: 0, xx: 1, x0: dx)
    }

    /// Sources outside the pixel area of an `h`×`w` input (half a pixel beyond the centres) take `value`.
    func filling(_ value: Float, height h: Int, width w: Int) -> WarpStage {
        filling(value, y: -0.5...(Float(h) - 0.5), x: -0.5...(Float(w) - 0.5))
    }

    /// Sources outside `y` × `x` take `value`.
    func filling(_ value: Float, y: ClosedRange<Float>, x: ClosedRange<Float>) -> WarpStage {
        var s = self
        (s.fill, s.lowY, s.highY, s.lowX, s.highX) = (value, y.lowerBound, y.upperBound, x.lowerBound, x.upperBound)
        return s
    }

    /// The same map with zero-padded taps.
    var zeroPadded: WarpStage { var s = self; s.zeroTaps = true; return s }
}

/// Bilinear resampling of every [H, W] plane by one fixed map: output pixel i is
/// `Σ_k weights[4i+k] · plane[taps[4i+k]] + constant[i]`. The plan, `apply` and its adjoint `adjoint` are plain
/// loops over bands of output pixels, one per thread (no autodiff graph); `applyRecorded` is the same map as
/// constant-weighted gathers, for callers that differentiate through it with autodiff.
struct ResamplePlan {
    let inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
    /// Four taps per output pixel, interleaved; taps outside the input have weight 0 (and index 0).
    private(set) var taps: [Int32]
    private(set) var weights: [Float]
    private(set) var constant: [Float]

    /// The composite of `stages` (applied in order to an `inputHeight`×`inputWidth` image), sampled with one
    /// bilinear interpolation; taps off the input are clamped to the edge unless the first stage zero-pads. A stage
    /// with a fill tests its own source position (the maps composed from the output up to it), the last stage first.
    init(stages: [WarpStage], inputHeight h: Int, inputWidth w: Int) {
        let (oh, ow) = (stages.last?.outputHeight ?? h, stages.last?.outputWidth ?? w)
        (inputHeight, inputWidth, outputHeight, outputWidth) = (h, w, oh, ow)
        let pixels = oh * ow, zero = stages.first?.zeroTaps ?? false
        var composite = Affine(yy: 1, yx: 0, y0: 0, xy: 0, xx: 1, x0: 0)
        var tests: [(map: Affine, stage: WarpStage)] = []
        for stage in stages.reversed() {
            composite = stage.map.after(composite)
            if stage.fill != nil { tests.append((composite, stage)) }
        }
        var taps = [Int32](repeating: 0, count: 4 * pixels), weights = [Float](repeating: 0, count: 4 * pixels)
        var constant = [Float](repeating: 0, count: pixels)
        let (hi, wi) = (Int32(h), Int32(w))
        taps.withUnsafeMutableBufferPointer { tapBuffer in
            weights.withUnsafeMutableBufferPointer { weightBuffer in
                constant.withUnsafeMutableBufferPointer { constantBuffer in
                    nonisolated(unsafe) let (t, wt, c) = (tapBuffer.baseAddress!, weightBuffer.baseAddress!, constantBuffer.baseAddress!)
                    // Bands of output rows, one per thread (each pixel writes only its own entries).
                    parallelBands(oh, workPerItem: 40 * ow) { band, _ in
                        for oy in band {
                            pixel: for ox in 0..<ow {
                                let (fy, fx) = (Float(oy), Float(ox)), i = oy * ow + ox, k = 4 * i
                                for test in tests {
                                    let (sy, sx) = test.map(fy, fx), s = test.stage
                                    if !(sy >= s.lowY && sy <= s.highY && sx >= s.lowX && sx <= s.highX) {
                                        c[i] = s.fill ?? 0
                                        continue pixel
                                    }
                                }
                                let (y, x) = composite(fy, fx)
                                let y0 = y.rounded(.down), x0 = x.rounded(.down)
                                let (ay, ax) = (y - y0, x - x0)
                                let (r0, c0) = (Int32(y0), Int32(x0))
                                let (r1, c1) = (r0 + 1, c0 + 1)
                                let w4: (Float, Float, Float, Float) = ((1 - ay) * (1 - ax), (1 - ay) * ax, ay * (1 - ax), ay * ax)
                                if zero {
                                    let rows = (r0 >= 0 && r0 < hi, r1 >= 0 && r1 < hi), cols = (c0 >= 0 && c0 < wi, c1 >= 0 && c1 < wi)
                                    if rows.0 && cols.0 { t[k] = r0 * wi + c0; wt[k] = w4.0 }
                                    if rows.0 && cols.1 { t[k + 1] = r0 * wi + c1; wt[k + 1] = w4.1 }
                                    if rows.1 && cols.0 { t[k + 2] = r1 * wi + c0; wt[k + 2] = w4.2 }
                                    if rows.1 && cols.1 { t[k + 3] = r1 * wi + c1; wt[k + 3] = w4.3 }
                                } else {
                                    let (q0, q1) = (min(max(r0, 0), hi - 1) * wi, min(max(r1, 0), hi - 1) * wi)
                                    let (p0, p1) = (min(max(c0, 0), wi - 1), min(max(c1, 0), wi - 1))
                                    (t[k], t[k + 1], t[k + 2], t[k + 3]) = (q0 + p0, q0 + p1, q1 + p0, q1 + p1)
                                    (wt[k], wt[k + 1], wt[k + 2], wt[k + 3]) = w4
                                }
                            }
                        }
                    }
                }
            }
        }
        (self.taps, self.weights, self.constant) = (taps, weights, constant)
    }

    private func planes(of x: Tensor, height: Int, width: Int) throws -> Int {
        guard x.rank == 4, x.shape[2] == height, x.shape[3] == width else {
            throw VisError.badOption("resampling expects images [B, C, \(height), \(width)], found \(x.shape)")
        }
        return x.shape[0] * x.shape[1]
    }

    /// The resampled images [B, C, outputHeight, outputWidth] (not recorded for autodiff).
    func apply(_ x: Tensor) throws -> Tensor {
        let planes = try planes(of: x, height: inputHeight, width: inputWidth)
        let (n, m) = (outputHeight * outputWidth, inputHeight * inputWidth)
        return Tensor(shape: [x.shape[0], x.shape[1], outputHeight, outputWidth]) { out, _ in
            x.withUnsafeBufferPointer { src in
                taps.withUnsafeBufferPointer { t in
                    weights.withUnsafeBufferPointer { wt in
                        constant.withUnsafeBufferPointer { c in
                            nonisolated(unsafe) let out = out
                            // Bands of output pixels, one per thread.
                            parallelBands(n, workPerItem: 8 * planes) { band, _ in
                                for p in 0..<planes {
                                    let s = src.baseAddress! + p * m, o = out + p * n
                                    for i in band {
                                        let k = 4 * i
                                        o[i] = wt[k] * s[Int(t[k])] + wt[k + 1] * s[Int(t[k + 1])]
                                            + wt[k + 2] * s[Int(t[k + 2])] + wt[k + 3] * s[Int(t[k + 3])] + c[i]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of the linear part of `apply`: gradients [B, C, outputHeight, outputWidth] of the resampled
    /// images to gradients [B, C, inputHeight, inputWidth] of the images. Bands of output pixels scatter in parallel,
    /// the first into the result and each other one into its own zeroed buffer, added to the result in band order
    /// (bands can reach the same input pixels).
    func adjoint(_ g: Tensor) throws -> Tensor {
        let planes = try planes(of: g, height: outputHeight, width: outputWidth)
        let (n, m) = (outputHeight * outputWidth, inputHeight * inputWidth)
        let bands = parallelBandCount(n, workPerItem: 8 * planes), size = planes * m
        var r = Tensor(zeros: [g.shape[0], g.shape[1], inputHeight, inputWidth])
        let extra = UnsafeMutablePointer<Float>.allocate(capacity: (bands - 1) * size)
        defer { extra.deallocate() }
        r.withUnsafeMutableBufferPointer { out in
            g.withUnsafeBufferPointer { src in
                taps.withUnsafeBufferPointer { t in
                    weights.withUnsafeBufferPointer { wt in
                        nonisolated(unsafe) let (result, extra) = (out.baseAddress!, extra)
                        parallelBands(n, workPerItem: 8 * planes) { band, index in
                            let target = index == 0 ? result : extra + (index - 1) * size
                            if index > 0 { target.initialize(repeating: 0, count: size) }
                            for p in 0..<planes {
                                let d = target + p * m, s = src.baseAddress! + p * n
                                for i in band {
                                    let k = 4 * i, v = s[i]
                                    d[Int(t[k])] += wt[k] * v
                                    d[Int(t[k + 1])] += wt[k + 1] * v
                                    d[Int(t[k + 2])] += wt[k + 2] * v
                                    d[Int(t[k + 3])] += wt[k + 3] * v
                                }
                            }
                        }
                        if bands > 1 {
                            parallelBands(size, workPerItem: bands) { range, _ in
                                for b in 1..<bands {
                                    let partial = extra + (b - 1) * size
                                    for i in range { result[i] += partial[i] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return r
    }

    /// `apply` as four constant-weighted gathers, so that autodiff records it.
    func applyRecorded(_ x: Tensor) throws -> Tensor {
        let planes = try planes(of: x, height: inputHeight, width: inputWidth)
        let (n, m) = (outputHeight * outputWidth, inputHeight * inputWidth)
        var indices = [Int32](repeating: 0, count: 4 * planes * n), planar = [Float](repeating: 0, count: 4 * n)
        for k in 0..<4 {
            for i in 0..<n { planar[k * n + i] = weights[4 * i + k] }
            for p in 0..<planes {
                let base = (k * planes + p) * n, offset = Int32(p * m)
                for i in 0..<n { indices[base + i] = taps[4 * i + k] + offset }
            }
        }
        let shape = [x.shape[0], x.shape[1], outputHeight, outputWidth]
        let gathered = try x.gathered(indices, shape: [4] + shape)
        let weighted = try (gathered * Tensor(planar, shape: [4, 1, 1, outputHeight, outputWidth])).sum(axes: [0])
        return try weighted + Tensor(constant, shape: [1, 1, outputHeight, outputWidth])
    }
}

/// The drawn transforms of one step (`ImageTransform.draw`) as resampling plans, applied one after the other.
/// `apply` on untracked images and `adjoint` are plain loops: a renderer runs the transform outside the autodiff graph
/// and carries the gradient of the transformed images back with `adjoint`.
public struct TransformDraw {
    let plans: [ResamplePlan]

    /// The transformed images (recorded for autodiff when `x` is tracked).
    public func apply(_ x: Tensor) throws -> Tensor {
        try plans.reduce(x) { x, plan in x.isTracked ? try plan.applyRecorded(x) : try plan.apply(x) }
    }

    /// Gradients of the transformed images to gradients of the images (the transpose of the linear part of `apply`).
    public func adjoint(_ g: Tensor) throws -> Tensor {
        try plans.reversed().reduce(g) { g, plan in try plan.adjoint(g) }
    }
}
