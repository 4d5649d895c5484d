/// Pictures made from maps and images: heatmaps, overlays, colour bars, grids.
public enum Picture {
    /// A heatmap of row-major `height`×`width` values (min-max normalised unless `normalize` is false).
    public static func heatmap(_ values: [Float], width: Int, height: Int, colormap: Colormap = .jet, normalize: Bool = true) throws -> RGBImage {
        guard width > 0, height > 0, values.count == width * height else {
            throw ImageError.badSize("heatmap \(width)×\(height) needs \(max(width * height, 0)) values, got \(values.count)")
        }
        guard values.allSatisfy({ $0.isFinite }) else { throw ImageError.nonFinite }
        var lo: Float = 0, hi: Float = 1
        if normalize, let mn = values.min(), let mx = values.max() { lo = mn; hi = mx }
        let span = hi - lo > 0 ? hi - lo : 1
        var px = [UInt8](repeating: 0, count: width * height * 3)
        for (i, v) in values.enumerated() {
            let (r, g, b) = colormap.color((v - lo) / span)
            px[3 * i] = r; px[3 * i + 1] = g; px[3 * i + 2] = b
        }
        return try RGBImage(width: width, height: height, pixels: px)
    }

    /// `(1 − alpha)·image + alpha·colour(map)` for a map of the image's size.
    public static func overlay(_ values: [Float], on image: RGBImage, colormap: Colormap = .jet, alpha: Float = 0.5) throws -> RGBImage {
        guard (0...1).contains(alpha) else { throw ImageError.badOption("overlay alpha must be in [0, 1], got \(alpha)") }
        let heat = try heatmap(values, width: image.width, height: image.height, colormap: colormap)
        var out = image
        for i in 0..<out.pixels.count {
            out.pixels[i] = UInt8(((1 - alpha) * Float(image.pixels[i]) + alpha * Float(heat.pixels[i])).rounded())
        }
        return out
    }

    /// The image with a vertical colour bar (high values on top) to its right, separated by a white gap.
    public static func withColorBar(_ image: RGBImage, colormap: Colormap = .jet, barWidth: Int = 12) -> RGBImage {
        let gap = 4, w = image.width + gap + max(barWidth, 1)
        var out = RGBImage(width: w, height: image.height, fill: (255, 255, 255))
        for y in 0..<image.height {
            let dst = y * w * 3, src = y * image.width * 3
            out.pixels.replaceSubrange(dst..<(dst + image.width * 3), with: image.pixels[src..<(src + image.width * 3)])
            let (r, g, b) = colormap.color(1 - Float(y) / Float(max(image.height - 1, 1)))
            for x in (image.width + gap)..<w {
                out.pixels[(y * w + x) * 3] = r; out.pixels[(y * w + x) * 3 + 1] = g; out.pixels[(y * w + x) * 3 + 2] = b
            }
        }
        return out
    }

    /// Same-size images tiled row by row, `columns` per row, `padding` pixels of `background` around each.
    public static func grid(_ images: [RGBImage], columns: Int, padding: Int = 2,
                            background: (UInt8, UInt8, UInt8) = (255, 255, 255)) throws -> RGBImage {
        guard let first = images.first, columns > 0, padding >= 0 else { throw ImageError.badOption("grid needs images and columns > 0") }
        guard images.allSatisfy({ $0.width == first.width && $0.height == first.height }) else {
            throw ImageError.badSize("grid images must share one size")
        }
        let rows = (images.count + columns - 1) / columns
        let cols = min(columns, images.count)
        let w = cols * first.width + (cols + 1) * padding, h = rows * first.height + (rows + 1) * padding
        var out = RGBImage(width: w, height: h, fill: background)
        for (k, img) in images.enumerated() {
            let x0 = padding + (k % columns) * (first.width + padding), y0 = padding + (k / columns) * (first.height + padding)
            for y in 0..<img.height {
                let dst = ((y0 + y) * w + x0) * 3, src = y * img.width * 3
                out.pixels.replaceSubrange(dst..<(dst + img.width * 3), with: img.pixels[src..<(src + img.width * 3)])
            }
        }
        return out
    }

    /// Nearest-neighbour enlargement by an integer factor.
    public static func upscaled(_ image: RGBImage, by factor: Int) throws -> RGBImage {
        guard (1...64).contains(factor) else { throw ImageError.badOption("upscale factor must be 1...64, got \(factor)") }
        let w = image.width * factor, h = image.height * factor
        var px = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            for x in 0..<w {
                let s = ((y / factor) * image.width + x / factor) * 3, d = (y * w + x) * 3
                px[d] = image.pixels[s]; px[d + 1] = image.pixels[s + 1]; px[d + 2] = image.pixels[s + 2]
            }
        }
        return try RGBImage(width: w, height: h, pixels: px)
    }
}

/// Edge maps of images.
public enum EdgeMap {
    /// Sobel magnitude exactly as scikit-image's `filters.sobel` on the channel mean: edge-replicated border,
    /// 1/4-normalised kernels, `√((Gx² + Gy²)/2)`. Input planes [C][H][W]; computed in Double.
    public static func sobel(planar: [Float], channels: Int, width: Int, height: Int) -> [Float] {
        let n = width * height
        guard channels > 0, width > 0, height > 0, planar.count == channels * n else { return [] }
        var g = [Double](repeating: 0, count: n)
        for c in 0..<channels { for i in 0..<n { g[i] += Double(planar[c * n + i]) } }
        for i in 0..<n { g[i] /= Double(channels) }
        func at(_ y: Int, _ x: Int) -> Double { g[min(max(y, 0), height - 1) * width + min(max(x, 0), width - 1)] }
        var out = [Float](repeating: 0, count: n)
        for y in 0..<height {
            for x in 0..<width {
                let gx = ((at(y - 1, x + 1) - at(y - 1, x - 1)) + 2 * (at(y, x + 1) - at(y, x - 1)) + (at(y + 1, x + 1) - at(y + 1, x - 1))) / 4
                let gy = ((at(y + 1, x - 1) - at(y - 1, x - 1)) + 2 * (at(y + 1, x) - at(y - 1, x)) + (at(y + 1, x + 1) - at(y - 1, x + 1))) / 4
                out[y * width + x] = Float(((gx * gx + gy * gy) / 2).squareRoot())
            }
        }
        return out
    }
}
