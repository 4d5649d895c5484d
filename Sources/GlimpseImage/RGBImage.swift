/// 8-bit RGB picture, rows top to bottom, pixels interleaved R, G, B.
public struct RGBImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// `width × height × 3` bytes.
    public var pixels: [UInt8]

    /// The largest pixel count (width × height) that constructors and decoders accept: 2²⁷, about 134 megapixels.
    public static let maxPixelCount = 1 << 27

    /// The byte count of a `width`×`height` RGB image, or nil when a side is not positive or the image is too large.
    static func byteCount(width: Int, height: Int) -> Int? {
        guard width > 0, height > 0 else { return nil }
        let (count, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, count <= maxPixelCount else { return nil }
        return count * 3
    }

    /// Throws `ImageError.badSize` unless the sides are positive and `pixels` holds exactly `width × height × 3` bytes.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard let bytes = Self.byteCount(width: width, height: height), pixels.count == bytes else {
            throw ImageError.badSize("a \(width)×\(height) RGB image cannot hold \(pixels.count) bytes")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A uniformly coloured image; sides below 1 become 1.
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
        self.width = max(width, 1)
        self.height = max(height, 1)
        let n = self.width * self.height
        if fill.0 == fill.1 && fill.1 == fill.2 {
            pixels = [UInt8](repeating: fill.0, count: 3 * n)
        } else {
            pixels = [UInt8](unsafeUninitializedCapacity: 3 * n) { buffer, count in
                for i in 0..<n {
                    buffer[3 * i] = fill.0; buffer[3 * i + 1] = fill.1; buffer[3 * i + 2] = fill.2
                }
                count = 3 * n
            }
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

    /// From planes [C][H][W] in [0, 1], with C = 3 or C = 1 (grey, replicated to R, G and B).
    /// Values are clamped to [0, 1] and rounded to the nearest byte; NaN or infinite values throw `ImageError.nonFinite`.
    public init(planar: [Float], channels: Int, width: Int, height: Int) throws {
        guard channels == 1 || channels == 3 else { throw ImageError.badSize("planar images need 1 or 3 channels, got \(channels)") }
        guard let bytes = Self.byteCount(width: width, height: height), planar.count == bytes / 3 * channels else {
            throw ImageError.badSize("\(channels)×\(height)×\(width) planes cannot hold \(planar.count) values")
        }
        guard planar.allSatisfy({ $0.isFinite }) else { throw ImageError.nonFinite }
        let n = width * height
        var px = [UInt8](repeating: 0, count: bytes)
        for c in 0..<3 {
            let plane = channels == 1 ? 0 : c * n
            for i in 0..<n {
                px[3 * i + c] = UInt8((min(max(planar[plane + i], 0), 1) * 255).rounded())
            }
        }
        self.width = width
        self.height = height
        self.pixels = px
    }

    /// The `width`×`height` rectangle whose top-left pixel is (x, y); throws `ImageError.badSize` if it leaves the image.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) throws -> RGBImage {
        guard x >= 0, y >= 0, w > 0, h > 0, w <= width - x, h <= height - y else {
            throw ImageError.badSize("crop \(w)×\(h) at (\(x), \(y)) does not fit in \(width)×\(height)")
        }
        return rectangle(x: x, y: y, width: w, height: h)
    }

    /// The centred square of side s = min(width, height), at rows (H − s)/2 and columns (W − s)/2 (integer division).
    public func centerSquareCrop() -> RGBImage {
        let s = min(width, height)
        return rectangle(x: (width - s) / 2, y: (height - s) / 2, width: s, height: s)
    }

    /// Copies a rectangle already known to lie inside the image.
    private func rectangle(x: Int, y: Int, width w: Int, height h: Int) -> RGBImage {
        var px = [UInt8]()
        px.reserveCapacity(w * h * 3)
        for row in y..<(y + h) {
            let start = (row * width + x) * 3
            px.append(contentsOf: pixels[start..<(start + w * 3)])
        }
        var out = self
        out.width = w
        out.height = h
        out.pixels = px
        return out
    }
}
