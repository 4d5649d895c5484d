import CPNG
import Foundation

/// PNG through libpng's simplified API (its setjmp/longjmp stays inside libpng's own C frames).
enum PNG {
    /// Decodes to 8-bit sRGB RGB; alpha is composited on black, 16-bit samples are scaled to 8 bits.
    static func decode(_ data: Data) throws -> RGBImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        let begun = data.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard begun != 0 else { throw error(image) }
        image.format = UInt32(PNG_FORMAT_RGB)
        // 16-bit samples without gAMA/sRGB chunks are sRGB (as other readers take them), not libpng's default of linear.
        image.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
        let width = Int(image.width), height = Int(image.height)
        guard let count = RGBImage.byteCount(width: width, height: height), cpng_image_size(&image) == count else {
            throw ImageError.badSize("PNG of \(width)×\(height) pixels (at most \(RGBImage.maxPixelCount) pixels)")
        }
        var background = png_color(red: 0, green: 0, blue: 0)
        var pixels = [UInt8](repeating: 0, count: count)
        let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, &background, $0.baseAddress, 0, nil) }
        guard finished != 0 else { throw error(image) }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Encodes 8-bit RGB. The output buffer is sized from a worst-case bound so that libpng runs once;
    /// should the bound be short, libpng reports the size it needs and the write is repeated once.
    static func encode(_ image: RGBImage, fast: Bool) throws -> Data {
        guard let count = RGBImage.byteCount(width: image.width, height: image.height), image.pixels.count == count else {
            throw ImageError.badSize("a \(image.width)×\(image.height) RGB image cannot hold \(image.pixels.count) bytes")
        }
        // Filtered rows, plus deflate's stored-block and libpng's IDAT-chunk overheads, plus the other chunks.
        let filtered = count + image.height
        var capacity = filtered + filtered / 256 + 1024
        for _ in 0..<2 {
            var png = png_image()
            png.version = UInt32(PNG_IMAGE_VERSION)
            png.width = UInt32(image.width)
            png.height = UInt32(image.height)
            png.format = UInt32(PNG_FORMAT_RGB)
            png.flags = fast ? UInt32(PNG_IMAGE_FLAG_FAST) : 0
            defer { png_image_free(&png) }
            var size = capacity
            var out = Data(count: capacity)
            let written = out.withUnsafeMutableBytes { dst in
                image.pixels.withUnsafeBytes { src in
                    png_image_write_to_memory(&png, dst.baseAddress, &size, 0, src.baseAddress, 0, nil)
                }
            }
            if written != 0 {
                out.count = size
                return out
            }
            guard png.warning_or_error & UInt32(PNG_IMAGE_ERROR) == 0, size > capacity else { throw error(png) }
            capacity = size
        }
        throw ImageError.corrupt("PNG: the encoder's output size kept growing")
    }

    /// The error libpng left in `image.message`, typed: running out of data is `.truncated`, anything else `.corrupt`.
    private static func error(_ image: png_image) -> ImageError {
        var message = image.message
        let text = withUnsafeBytes(of: &message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if text.contains("end of data") || text.contains("truncated") || text.contains("EOF") {
            return .truncated("PNG: \(text)")
        }
        return .corrupt("PNG: \(text.isEmpty ? "unknown libpng error" : text)")
    }
}
