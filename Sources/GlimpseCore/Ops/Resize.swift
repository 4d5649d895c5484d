import Foundation

/// How bilinear resizing maps output pixels to input coordinates.
public enum ResizeAlignment: Sendable {
    /// Half-pixel centres, `src = max(0, (d + 0.5)·in/out − 0.5)` (PyTorch `align_corners=False` without
    /// antialiasing, OpenCV `INTER_LINEAR`).
    case halfPixel
    /// Corner pixels aligned, `src = d·(in − 1)/(out − 1)` (PyTorch `align_corners=True`).
    case alignCorners
}

/// Dense [out, in] interpolation matrix of 1-D linear resampling.
func interpolationMatrix(from input: Int, to output: Int, alignment: ResizeAlignment) -> Tensor {
    Tensor(shape: [output, input]) { m, n in
        m.update(repeating: 0, count: n)
        for d in 0..<output {
            let src: Double
            switch alignment {
            case .halfPixel: src = max(0, (Double(d) + 0.5) * Double(input) / Double(output) - 0.5)
            case .alignCorners: src = output > 1 ? Double(d) * Double(input - 1) / Double(output - 1) : 0
            }
            let i0 = min(Int(src.rounded(.down)), input - 1)
            let i1 = min(i0 + 1, input - 1)
            let w1 = Float(src - Double(i0))
            m[d * input + i0] += 1 - w1
            m[d * input + i1] += w1
        }
    }
}

extension Tensor {
    /// Bilinear resize of the last two axes to `height`×`width` (no antialiasing). Differentiable to any order:
    /// it is two matrix products with fixed interpolation matrices.
    public func resizedBilinear(height: Int, width: Int, alignment: ResizeAlignment = .halfPixel) throws -> Tensor {
        guard rank >= 2, height >= 1, width >= 1 else {
            throw TensorError.invalidArgument("resize to \(height)×\(width) of \(shape) is not possible")
        }
        let h = shape[rank - 2], w = shape[rank - 1]
        guard h >= 1, w >= 1 else { throw TensorError.invalidArgument("cannot resize an empty image \(shape)") }
        if h == height && w == width { return self }
        let planes = count / (h * w)
        let rx = interpolationMatrix(from: w, to: width, alignment: alignment)
        let ry = interpolationMatrix(from: h, to: height, alignment: alignment)
        // Columns: [P·H, W] · Rxᵀ → [P·H, width]
        let cols = try Tensor.matmul(reshaped([planes * h, w]), rx, transposeB: true)
        // Rows: per plane Ry · [H, width]; as one product on the transposed planes.
        let t = try cols.reshaped([planes, h, width]).permuted([0, 2, 1]).reshaped([planes * width, h])
        let rows = try Tensor.matmul(t, ry, transposeB: true)
        return try rows.reshaped([planes, width, height]).permuted([0, 2, 1])
            .reshaped(Array(shape.dropLast(2)) + [height, width])
    }

    /// Gaussian blur of the last two axes of [N, C, H, W] with standard deviation `sigma`; the kernel has
    /// `2·ceil(truncate·sigma) + 1` taps and the border is reflected.
    public func gaussianBlurred(sigma: Float, truncate: Float = 3) throws -> Tensor {
        guard rank == 4, sigma > 0, sigma.isFinite else {
            throw TensorError.invalidArgument("gaussianBlurred(sigma: \(sigma)) needs sigma > 0 and [N, C, H, W], found \(shape)")
        }
        let radius = Swift.max(1, Int((truncate * sigma).rounded(.up)))
        let c = shape[1]
        guard radius < shape[2], radius < shape[3] else {
            throw TensorError.invalidArgument("blur radius \(radius) is too large for \(shape[2])×\(shape[3])")
        }
        var taps = (-radius...radius).map { Foundation.exp(-Float($0 * $0) / (2 * sigma * sigma)) }
        let total = taps.reduce(0, +)
        taps = taps.map { $0 / total }
        let k = taps.count
        let horizontal = Tensor(shape: [c, 1, 1, k]) { p, _ in for ch in 0..<c { for i in 0..<k { p[ch * k + i] = taps[i] } } }
        let vertical = try horizontal.reshaped([c, 1, k, 1])
        let padded = try self.padded(top: radius, bottom: radius, left: radius, right: radius, mode: .reflect)
        let rowsBlurred = try Tensor.conv2d(padded, filter: horizontal, options: Conv2DOptions(groups: c))
        return try Tensor.conv2d(rowsBlurred, filter: vertical, options: Conv2DOptions(groups: c))
    }
}
