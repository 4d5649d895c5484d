import Foundation

/// Container format of an encoded image.
public enum ImageFormat: Sendable {
    case png, jpeg

    /// The format named by a file extension (`png`, `jpg`, `jpeg`, any case), or nil.
    public init?(pathExtension: String) {
        switch pathExtension.lowercased() {
        case "png": self = .png
        case "jpg", "jpeg": self = .jpeg
        default: return nil
        }
    }

    /// The format whose signature starts `data`, or nil.
    public init?(sniffing data: Data) {
        if data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if data.starts(with: [0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else {
            return nil
        }
    }
}

/// PNG (libpng's simplified API) and JPEG (TurboJPEG) decoding, encoding and files.
/// Neither library's error path longjmps across Swift frames: failures come back as return values and become `ImageError`s.
public enum ImageCodec {
    /// Decodes PNG or JPEG bytes, recognised by their signature (`ImageError.notAnImage` otherwise).
    /// PNGs of any bit depth and colour type become 8-bit sRGB: grey is replicated to R, G and B,
    /// palettes are expanded, and an alpha channel is removed by compositing on black.
    /// JPEGs are decoded with the accurate integer IDCT; a truncated or damaged stream is an error, never a partial image.
    public static func decode(_ data: Data) throws -> RGBImage {
        switch ImageFormat(sniffing: data) {
        case .png: return try PNG.decode(data)
        case .jpeg: return try JPEG.decode(data)
        case nil: throw ImageError.notAnImage
        }
    }

    /// Reads and decodes a file. Every failure is `ImageError.unreadable(path:reason:)`; when the bytes were read but
    /// could not be decoded, `reason` is the decoder error's description.
    public static func load(contentsOf url: URL) throws -> RGBImage {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ImageError.unreadable(path: url.path, reason: reason(error))
        }
        do {
            return try decode(data)
        } catch let error as ImageError {
            throw ImageError.unreadable(path: url.path, reason: error.description)
        }
    }

    /// PNG bytes; `fast` (PNG_IMAGE_FLAG_FAST) encodes several times faster and makes larger files.
    public static func encodePNG(_ image: RGBImage, fast: Bool = true) throws -> Data {
        try PNG.encode(image, fast: fast)
    }

    /// Baseline JPEG bytes with 4:2:0 chroma subsampling; `quality` must be in 1...100 (else `ImageError.badOption`).
    public static func encodeJPEG(_ image: RGBImage, quality: Int = 92) throws -> Data {
        try JPEG.encode(image, quality: quality)
    }

    /// Writes atomically: the bytes go to a temporary file in the same folder, which is then renamed over `url`.
    /// The format follows the extension (`.png`, `.jpg`, `.jpeg`; JPEG at quality 92), else `ImageError.unsupportedFormat`.
    /// File-system failures are `ImageError.unwritable(path:reason:)`.
    public static func write(_ image: RGBImage, to url: URL) throws {
        let data: Data
        switch ImageFormat(pathExtension: url.pathExtension) {
        case .png: data = try encodePNG(image)
        case .jpeg: data = try encodeJPEG(image)
        case nil: throw ImageError.unsupportedFormat("cannot write '.\(url.pathExtension)' files (use .png, .jpg or .jpeg)")
        }
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary, options: .withoutOverwriting)
        } catch {
            throw ImageError.unwritable(path: url.path, reason: reason(error))
        }
        guard rename(temporary.path, url.path) == 0 else {
            let message = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw ImageError.unwritable(path: url.path, reason: message)
        }
    }

    /// A one-line reason for a Foundation error.
    private static func reason(_ error: Error) -> String {
        (error as NSError).localizedDescription.replacingOccurrences(of: "\n", with: " ")
    }
}
