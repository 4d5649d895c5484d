import CPNG
import CTurboJPEG
import Foundation

/// Container format of an encoded image.
public enum ImageFormat: Sendable { case png, jpeg }

/// PNG (libpng's simplified API) and JPEG (TurboJPEG) decoding and encoding. Neither library's error path
/// uses setjmp/longjmp across Swift frames: errors come back as return values and become `ImageError`s.
public enum ImageCodec {
    /// Decodes PNG or JPEG bytes (sniffed from the signature). Grey and palette PNGs become RGB; alpha is dropped
    /// after compositing on black (libpng's default for an RGB target).
    public static func decode(_ data: Data) throws -> RGBImage {
        let bytes = [UInt8](data)
        if bytes.starts(with: [0x89, 0x50, 0x4e, 0x47]) { return try decodePNG(bytes) }
        if bytes.starts(with: [0xff, 0xd8]) { return try decodeJPEG(bytes) }
        throw ImageError.notAnImage
    }

    public static func load(contentsOf url: URL) throws -> RGBImage {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ImageError.unreadable(path: url.path, reason: (error as NSError).localizedDescription)
        }
        do { return try decode(data) } catch let error as ImageError {
            if case .unreadable = error { throw error }
            throw ImageError.unreadable(path: url.path, reason: error.description)
        }
    }

    static func decodePNG(_ bytes: [UInt8]) throws -> RGBImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        let begun = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard begun != 0 else { throw pngError(image) }
        image.format = UInt32(PNG_FORMAT_RGB)
        guard image.width > 0, image.height > 0, image.width <= 1 << 15, image.height <= 1 << 15 else {
            throw ImageError.badSize("PNG of \(image.width)×\(image.height) pixels")
        }
        var pixels = [UInt8](repeating: 0, count: Int(image.width) * Int(image.height) * 3)
        let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard finished != 0 else { throw pngError(image) }
        return try RGBImage(width: Int(image.width), height: Int(image.height), pixels: pixels)
    }

    private static func pngError(_ image: png_image) -> ImageError {
        var message = image.message
        let text = withUnsafeBytes(of: &message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if text.contains("end of data") || text.contains("truncated") || text.contains("EOF") { return .truncated("PNG: \(text)") }
        return .corrupt("PNG: \(text.isEmpty ? "unknown error" : text)")
    }

    static func decodeJPEG(_ bytes: [UInt8]) throws -> RGBImage {
        guard let handle = tjInitDecompress() else { throw ImageError.corrupt("JPEG: cannot start the decoder") }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let header = bytes.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt($0.count), &width, &height, &subsampling, &colorspace)
        }
        guard header == 0 else { throw jpegError(handle) }
        guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else { throw ImageError.badSize("JPEG of \(width)×\(height) pixels") }
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * 3)
        let status = bytes.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, src.baseAddress, UInt(src.count), dst.baseAddress, width, 0, height, Int32(TJPF_RGB.rawValue), 0)
            }
        }
        // TurboJPEG 2.x reports a truncated stream as a warning with a partly decoded image: refuse it.
        guard status == 0 else { throw jpegError(handle) }
        return try RGBImage(width: Int(width), height: Int(height), pixels: pixels)
    }

    private static func jpegError(_ handle: tjhandle) -> ImageError {
        let text = tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown error"
        if text.contains("Premature end") || text.contains("truncated") { return .truncated("JPEG: \(text)") }
        return .corrupt("JPEG: \(text)")
    }

    /// PNG bytes; `fast` trades size for speed (about 5× faster to encode).
    public static func encodePNG(_ image: RGBImage, fast: Bool = true) throws -> Data {
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = UInt32(PNG_FORMAT_RGB)
        png.flags = fast ? UInt32(PNG_IMAGE_FLAG_FAST) : 0
        defer { png_image_free(&png) }
        var size = 0
        let sized = image.pixels.withUnsafeBytes { png_image_write_to_memory(&png, nil, &size, 0, $0.baseAddress, 0, nil) }
        guard sized != 0, size > 0 else { throw pngError(png) }
        var out = [UInt8](repeating: 0, count: size)
        let written = out.withUnsafeMutableBytes { dst in
            image.pixels.withUnsafeBytes { png_image_write_to_memory(&png, dst.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
        }
        guard written != 0 else { throw pngError(png) }
        return Data(out.prefix(size))
    }

    /// JPEG bytes at `quality` 1...100 (4:2:0 subsampling).
    public static func encodeJPEG(_ image: RGBImage, quality: Int = 92) throws -> Data {
        guard (1...100).contains(quality) else { throw ImageError.badOption("JPEG quality must be 1...100, got \(quality)") }
        guard let handle = tjInitCompress() else { throw ImageError.corrupt("JPEG: cannot start the encoder") }
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = image.pixels.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(TJPF_RGB.rawValue),
                        &buffer, &size, Int32(TJSAMP_420.rawValue), Int32(quality), 0)
        }
        defer { if let buffer { tjFree(buffer) } }
        guard status == 0, let buffer else { throw jpegError(handle) }
        return Data(bytes: buffer, count: Int(size))
    }

    /// Writes atomically (temporary file + rename); the format follows the extension (.png, .jpg, .jpeg).
    public static func write(_ image: RGBImage, to url: URL) throws {
        let data: Data
        switch url.pathExtension.lowercased() {
        case "png": data = try encodePNG(image)
        case "jpg", "jpeg": data = try encodeJPEG(image)
        default: throw ImageError.unsupportedFormat("'\(url.pathExtension)' (use .png, .jpg or .jpeg)")
        }
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try data.write(to: tmp)
            guard rename(tmp.path, url.path) == 0 else {
                throw ImageError.unreadable(path: url.path, reason: String(cString: strerror(errno)))
            }
        } catch let error as ImageError {
            try? FileManager.default.removeItem(at: tmp)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw ImageError.unreadable(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }
}
