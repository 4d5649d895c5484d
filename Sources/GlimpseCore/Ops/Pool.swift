extension Tensor {
    /// Max pooling over the last two axes of [N, C, H, W] with symmetric padding (padding never wins).
    /// `ceilMode` rounds the output size up as PyTorch's `ceil_mode=True` does (a last window may hang over the
    /// bottom/right edge, but never starts inside the right/bottom padding).
    public func maxPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false) throws -> Tensor {
        let s = stride ?? kernel
        guard rank == 4, kernel >= 1, s >= 1, padding >= 0, padding * 2 <= kernel else {
            throw TensorError.invalidArgument("maxPool2d(kernel: \(kernel), stride: \(s), padding: \(padding)) on \(shape)")
        }
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        guard h + 2 * padding >= kernel, w + 2 * padding >= kernel else { throw TensorError.invalidArgument("maxPool2d kernel \(kernel) larger than input \(shape)") }
        func outSize(_ size: Int) -> Int {
            guard ceilMode else { return (size + 2 * padding - kernel) / s + 1 }
            let out = (size + 2 * padding - kernel + s - 1) / s + 1
            return (out - 1) * s >= size + padding ? out - 1 : out
        }
        let ho = outSize(h), wo = outSize(w)
        var indices = [Int32](repeating: 0, count: n * c * ho * wo)
        let src = storage.pointer
        if kernel == 2, s == 2, padding == 0 {
            indices.withUnsafeMutableBufferPointer { idx in Tensor.maxPool2x2Indices(src, idx.baseAddress!, planes: n * c, h: h, w: w) }
            return try gathered(indices, shape: [n, c, ho, wo])
        }
        indices.withUnsafeMutableBufferPointer { idx in
            for p in 0..<(n * c) {
                let plane = p * h * w
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        var best = -Float.infinity, at = -1
                        for ky in 0..<kernel {
                            let y = oy * s - padding + ky
                            if y < 0 || y >= h { continue }
                            for kx in 0..<kernel {
                                let x = ox * s - padding + kx
                                if x < 0 || x >= w { continue }
                                let v = src[plane + y * w + x]
                                if v > best || at < 0 || v.isNaN { best = v; at = plane + y * w + x }
                            }
                        }
                        idx[(p * ho + oy) * wo + ox] = Int32(at)
                    }
                }
            }
        }
        return try gathered(indices, shape: [n, c, ho, wo])
    }

    /// Arg-max indices of non-overlapping 2×2 windows (the common case, planes in parallel); NaN wins, ties keep the first.
    private static func maxPool2x2Indices(_ src: UnsafeMutablePointer<Float>, _ idx: UnsafeMutablePointer<Int32>, planes: Int, h: Int, w: Int) {
        let ho = h / 2, wo = w / 2
        nonisolated(unsafe) let (src, idx) = (src, idx)
        parallelChunks(planes, workPerItem: h * w * 4) { range in
            for p in range {
                let plane = p * h * w
                for oy in 0..<ho {
                    let r0 = plane + 2 * oy * w, r1 = r0 + w
                    let out = idx + (p * ho + oy) * wo
                    for ox in 0..<wo {
                        var at = r0 + 2 * ox, best = src[at]
                        @inline(__always) func consider(_ cand: Int) {
                            let v = src[cand]
                            if !best.isNaN && (v > best || v.isNaN) { best = v; at = cand }
                        }
                        consider(r0 + 2 * ox + 1); consider(r1 + 2 * ox); consider(r1 + 2 * ox + 1)
                        out[ox] = Int32(at)
                    }
                }
            }
        }
    }

    /// Average pooling over the last two axes of [N, C, H, W] (a depthwise convolution with a constant
    /// filter); with `countIncludePad: false` border windows average only real pixels.
    public func avgPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true) throws -> Tensor {
        let s = stride ?? kernel
        guard rank == 4, kernel >= 1, s >= 1, padding >= 0 else {
            throw TensorError.invalidArgument("avgPool2d(kernel: \(kernel), stride: \(s), padding: \(padding)) on \(shape)")
        }
        let c = shape[1]
        let filter = Tensor(repeating: 1 / Float(kernel * kernel), shape: [c, 1, kernel, kernel])
        let options = Conv2DOptions(stride: s, padding: padding, groups: c)
        let y = try Tensor.conv2d(self, filter: filter, options: options)
        if countIncludePad || padding == 0 { return y }
        let ones = Tensor(repeating: 1, shape: [1, 1, shape[2], shape[3]])
        let covered = try Tensor.conv2d(ones, filter: Tensor(repeating: 1 / Float(kernel * kernel), shape: [1, 1, kernel, kernel]),
                                        options: Conv2DOptions(stride: s, padding: padding))
        return try y.timesConstant(mapValues(covered) { 1 / $0 })
    }

    /// Mean over the spatial axes: [N, C, H, W] → [N, C].
    public func globalAvgPool() throws -> Tensor {
        guard rank == 4 else { throw TensorError.invalidArgument("globalAvgPool needs [N, C, H, W], found \(shape)") }
        return try mean(axes: [2, 3])
    }
}
