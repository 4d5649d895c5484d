import GlimpseCore

/// One drawn transform: its output size and how an output pixel position maps back to its input.
struct WarpStage {
    enum Map {
        /// `input = output + (dy, dx)`; positions outside the `height`×`width` input take `fill` (nil: never outside).
        case shift(dy: Float, dx: Float, fill: Float?, height: Int, width: Int)
        /// Half-pixel resize: `input = (output + 0.5) · ratio − 0.5`.
        case scale(y: Float, x: Float)
        /// Rotation about the centre; positions outside the input are black.
        case rotate(cos: Float, sin: Float, height: Int, width: Int)
    }

    let outputHeight: Int
    let outputWidth: Int
    let map: Map

    /// Where output position (y, x) comes from: an input position, or a constant.
    func source(_ y: Float, _ x: Float) -> (y: Float, x: Float, fill: Float?) {
        func inside(_ y: Float, _ x: Float, _ h: Int, _ w: Int) -> Bool {
            y >= -0.5 && y <= Float(h) - 0.5 && x >= -0.5 && x <= Float(w) - 0.5
        }
        switch map {
        case let .shift(dy, dx, fill, h, w):
            let (sy, sx) = (y + dy, x + dx)
            if let fill, !inside(sy, sx, h, w) { return (0, 0, fill) }
            return (sy, sx, nil)
        case let .scale(ry, rx):
            return ((y + 0.5) * ry - 0.5, (x + 0.5) * rx - 0.5, nil)
        case let .rotate(c, s, h, w):
            let cy = Float(h - 1) / 2, cx = Float(w - 1) / 2
            let (dy, dx) = (y - cy, x - cx)
            let (sy, sx) = (c * dy + s * dx + cy, -s * dy + c * dx + cx)
            return inside(sy, sx, h, w) ? (sy, sx, nil) : (0, 0, 0)
        }
    }
}

/// A composite of drawn transforms, sampled with one bilinear interpolation (edge taps clamped):
/// `out = Σ_k w_k · gather_k(x) + fill`, four constant-weighted gathers, so gradients flow to the image.
struct Warp {
    let stages: [WarpStage]
    let inputHeight: Int
    let inputWidth: Int

    func sample(_ x: Tensor) throws -> Tensor {
        let (h, w) = (inputHeight, inputWidth)
        let (oh, ow) = (stages.last?.outputHeight ?? h, stages.last?.outputWidth ?? w)
        let pixels = oh * ow, planes = x.shape[0] * x.shape[1]
        var taps = [Int32](repeating: -1, count: 4 * pixels)
        var weights = [Float](repeating: 0, count: 4 * pixels)
        var fill = [Float](repeating: 0, count: pixels)
        var anyFill = false
        for oy in 0..<oh {
            for ox in 0..<ow {
                var (y, x) = (Float(oy), Float(ox))
                var constant: Float?
                for stage in stages.reversed() {
                    let s = stage.source(y, x)
                    if let f = s.fill { constant = f; break }
                    (y, x) = (s.y, s.x)
                }
                let i = oy * ow + ox
                if let constant {
                    fill[i] = constant
                    anyFill = anyFill || constant != 0
                    continue
                }
                let y0 = y.rounded(.down), x0 = x.rounded(.down)
                let (fy, fx) = (y - y0, x - x0)
                let rows = (min(max(Int(y0), 0), h - 1), min(max(Int(y0) + 1, 0), h - 1))
                let cols = (min(max(Int(x0), 0), w - 1), min(max(Int(x0) + 1, 0), w - 1))
                taps[i] = Int32(rows.0 * w + cols.0); weights[i] = (1 - fy) * (1 - fx)
                taps[pixels + i] = Int32(rows.0 * w + cols.1); weights[pixels + i] = (1 - fy) * fx
                taps[2 * pixels + i] = Int32(rows.1 * w + cols.0); weights[2 * pixels + i] = fy * (1 - fx)
                taps[3 * pixels + i] = Int32(rows.1 * w + cols.1); weights[3 * pixels + i] = fy * fx
            }
        }
        // Indices [4, planes, oh, ow] into x viewed as [planes, h, w].
        var indices = [Int32](repeating: -1, count: 4 * planes * pixels)
        indices.withUnsafeMutableBufferPointer { out in
            for k in 0..<4 {
                for p in 0..<planes {
                    let base = (k * planes + p) * pixels, offset = Int32(p * h * w)
                    for i in 0..<pixels {
                        let t = taps[k * pixels + i]
                        out[base + i] = t < 0 ? -1 : t + offset
                    }
                }
            }
        }
        let shape = [x.shape[0], x.shape[1], oh, ow]
        let gathered = try x.gathered(indices, shape: [4] + shape)
        let weighted = try (gathered * Tensor(weights, shape: [4, 1, 1, oh, ow])).sum(axes: [0])
        return anyFill ? try weighted + Tensor(fill, shape: [1, 1, oh, ow]) : weighted
    }
}
