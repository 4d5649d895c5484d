/// Pictures made from maps and images: heatmaps, overlays, colour bars, grids, enlargements.
public enum Picture {
    /// Width in pixels of the white gap between an image and its colour bar.
    static let colorBarGap = 4

    /// A heatmap of row-major `height`×`width` values. With `normalize` the values are mapped to [0, 1] by min-max
    /// (a constant map gets the colour of 0); without it they are used as they are, clamped to [0, 1].
    /// Throws `ImageError.badSize` for a count mismatch and `ImageError.nonFinite` for NaN or infinite values.
    public static func heatmap(_ values: [Float], width: Int, height: Int, colormap: Colormap = .jet,
                               normalize: Bool = true) throws -> RGBImage {
        guard let bytes = RGBImage.byteCount(width: width, height: height), values.count == bytes / 3 else {
            throw ImageError.badSize("a \(width)×\(height) heatmap cannot be drawn from \(values.count) values")
        }
        guard values.allSatisfy({ $0.isFinite }) else { throw ImageError.nonFinite }
        var low: Float = 0, span: Float = 1
        if normalize, let lo = values.min(), let hi = values.max() {
            low = lo
            if hi > lo { span = hi - lo }
        }
        var px = [UInt8](repeating: 0, count: bytes)
        for (i, v) in values.enumerated() {
            let (r, g, b) = colormap.color((v - low) / span)
            px[3 * i] = r; px[3 * i + 1] = g; px[3 * i + 2] = b
        }
        return try RGBImage(width: width, height: height, pixels: px)
    }

    /// `(1 − alpha)·image + alpha·colour`, where the colours are `heatmap(values, …)` (min-max normalised) for a map of the
    /// image's size; results are rounded. Throws like `heatmap`, and `ImageError.badOption` unless 0 ≤ alpha ≤ 1.
    public static func overlay(_ values: [Float], on image: RGBImage, colormap: Colormap = .jet, alpha: Float = 0.5) throws -> RGBImage {
        guard alpha >= 0, alpha <= 1 else { throw ImageError.badOption("overlay alpha must be in [0, 1], got \(alpha)") }
        let heat = try heatmap(values, width: image.width, height: image.height, colormap: colormap)
        var out = image
        for i in out.pixels.indices {
            out.pixels[i] = UInt8(((1 - alpha) * Float(image.pixels[i]) + alpha * Float(heat.pixels[i])).rounded())
        }
        return out
    }

    /// The image with a vertical colour bar of `barWidth` columns (at least 1) to its right, after a white gap of
    /// `colorBarGap` columns. The bar runs from the colour of 1 in the top row to the colour of 0 in the bottom row.
    public static func withColorBar(_ image: RGBImage, colormap: Colormap = .jet, barWidth: Int = 12) -> RGBImage {
        let bar = max(barWidth, 1), rowBytes = image.width * 3
        let width = image.width + colorBarGap + bar
        var out = RGBImage(width: width, height: image.height, fill: (255, 255, 255))
        for y in 0..<image.height {
            let row = y * width * 3
            out.pixels.replaceSubrange(row..<(row + rowBytes), with: image.pixels[(y * rowBytes)..<((y + 1) * rowBytes)])
            let (r, g, b) = colormap.color(1 - Float(y) / Float(max(image.height - 1, 1)))
            for x in (image.width + colorBarGap)..<width {
                out.pixels[row + 3 * x] = r; out.pixels[row + 3 * x + 1] = g; out.pixels[row + 3 * x + 2] = b
            }
        }
        return out
    }

    /// Same-size images tiled row by row, `columns` per row (fewer if there are fewer images), with `padding` pixels of
    /// `background` between the tiles and around the border. A short last row is filled with background.
    public static func grid(_ images: [RGBImage], columns: Int, padding: Int = 2,
                            background: (UInt8, UInt8, UInt8) = (255, 255, 255)) throws -> RGBImage {
        guard let first = images.first else { throw ImageError.badOption("a grid needs at least one image") }
        guard columns > 0 else { throw ImageError.badOption("a grid needs at least one column, got \(columns)") }
        guard padding >= 0 else { throw ImageError.badOption("grid padding must not be negative, got \(padding)") }
        guard images.allSatisfy({ $0.width == first.width && $0.height == first.height }) else {
            throw ImageError.badSize("grid images must all be \(first.width)×\(first.height)")
        }
        let cols = min(columns, images.count), rows = (images.count + cols - 1) / cols
        guard let width = span(cols, first.width, padding), let height = span(rows, first.height, padding),
              RGBImage.byteCount(width: width, height: height) != nil else {
            throw ImageError.badSize("a grid of \(rows)×\(cols) tiles with padding \(padding) has more than \(RGBImage.maxPixelCount) pixels")
        }
        let cellW = first.width + padding, cellH = first.height + padding
        var out = RGBImage(width: width, height: height, fill: background)
        let rowBytes = first.width * 3
        for (k, image) in images.enumerated() {
            let x0 = padding + (k % cols) * cellW, y0 = padding + (k / cols) * cellH
            for y in 0..<image.height {
                let dst = ((y0 + y) * width + x0) * 3
                out.pixels.replaceSubrange(dst..<(dst + rowBytes), with: image.pixels[(y * rowBytes)..<((y + 1) * rowBytes)])
            }
        }
        return out
    }

    /// `count` tiles of `side` pixels with `padding` before, between and after them; nil on overflow.
    private static func span(_ count: Int, _ side: Int, _ padding: Int) -> Int? {
        let (cell, o1) = side.addingReportingOverflow(padding)
        let (cells, o2) = cell.multipliedReportingOverflow(by: count)
        let (total, o3) = cells.addingReportingOverflow(padding)
        return o1 || o2 || o3 ? nil : total
    }

    /// Nearest-neighbour enlargement by an integer `factor` ≥ 1 (each pixel becomes a factor×factor block).
    public static func upscaled(_ image: RGBImage, by factor: Int) throws -> RGBImage {
        guard factor >= 1 else { throw ImageError.badOption("upscale factor must be at least 1, got \(factor)") }
        let (width, overflowW) = image.width.multipliedReportingOverflow(by: factor)
        let (height, overflowH) = image.height.multipliedReportingOverflow(by: factor)
        guard !overflowW, !overflowH, let bytes = RGBImage.byteCount(width: width, height: height) else {
            throw ImageError.badSize("upscaling \(image.width)×\(image.height) by \(factor) gives too many pixels")
        }
        var px = [UInt8]()
        px.reserveCapacity(bytes)
        var row = [UInt8](repeating: 0, count: width * 3)
        for y in 0..<image.height {
            for x in 0..<width {
                let s = (y * image.width + x / factor) * 3
                row[3 * x] = image.pixels[s]; row[3 * x + 1] = image.pixels[s + 1]; row[3 * x + 2] = image.pixels[s + 2]
            }
            for _ in 0..<factor { px.append(contentsOf: row) }
        }
        return try RGBImage(width: width, height: height, pixels: px)
    }
}
