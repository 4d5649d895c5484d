/// 8-bit RGB picture, rows top to bottom, pixels interleaved R, G, B.
public struct RGBImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    /// Throws `ImageError.badSize` unless `pixels` holds exactly `width × height × 3` bytes of a non-empty image.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15, pixels.count == width * height * 3 else {
            throw ImageError.badSize("\(width)×\(height) RGB needs \(max(width, 0) * max(height, 0) * 3) bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A uniformly coloured image.
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
        self.width = max(width, 1)
        self.height = max(height, 1)
        pixels = [UInt8](repeating: 0, count: self.width * self.height * 3)
        for i in 0..<(self.width * self.height) {
            pixels[3 * i] = fill.0; pixels[3 * i + 1] = fill.1; pixels[3 * i + 2] = fill.2
        }
    }

    /// Channel planes [3][H][W] with values in [0, 1] (byte / 255).
    public func planarFloats() -> [Float] {
        let n = width * height
        var out = [Float](repeating: 0, count: 3 * n)
        for i in 0..<n {
            for c in 0..<3 { out[c * n + i] = Float(pixels[3 * i + c]) / 255 }
        }
        return out
    }

    /// From planes [C][H][W] (C = 3, or 1 for grey, replicated) in [0, 1]; values are clamped and rounded.
    public init(planar: [Float], channels: Int, width: Int, height: Int) throws {
        guard channels == 1 || channels == 3 else { throw ImageError.badSize("planar images need 1 or 3 channels, got \(channels)") }
        guard width > 0, height > 0, planar.count == channels * width * height else {
            throw ImageError.badSize("\(channels)×\(height)×\(width) planes need \(channels * max(width, 0) * max(height, 0)) values, got \(planar.count)")
        }
        guard planar.allSatisfy({ $0.isFinite }) else { throw ImageError.nonFinite }
        let n = width * height
        var px = [UInt8](repeating: 0, count: 3 * n)
        for i in 0..<n {
            for c in 0..<3 {
                let v = planar[(channels == 1 ? 0 : c) * n + i]
                px[3 * i + c] = UInt8((min(max(v, 0), 1) * 255).rounded())
            }
        }
        try self.init(width: width, height: height, pixels: px)
    }

    /// The rectangle at (x, y) of the given size; throws if it leaves the image.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) throws -> RGBImage {
        guard x >= 0, y >= 0, w > 0, h > 0, x + w <= width, y + h <= height else {
            throw ImageError.badSize("crop \(w)×\(h) at (\(x), \(y)) does not fit in \(width)×\(height)")
        }
        var px = [UInt8](repeating: 0, count: w * h * 3)
        for row in 0..<h {
            let src = ((y + row) * width + x) * 3
            px.replaceSubrange((row * w * 3)..<((row + 1) * w * 3), with: pixels[src..<(src + w * 3)])
        }
        return try RGBImage(width: w, height: h, pixels: px)
    }

    /// The centred square of side min(width, height), at rows (H − s)/2 and columns (W − s)/2.
    public func centerSquareCrop() -> RGBImage {
        let s = min(width, height)
        return (try? cropped(x: (width - s) / 2, y: (height - s) / 2, width: s, height: s)) ?? self
    }
}
