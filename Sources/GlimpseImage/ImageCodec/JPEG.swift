import CTurboJPEG
import Foundation

/// JPEG through TurboJPEG's tj* API (2.x): each call returns -1 on failure and the handle keeps the message.
enum JPEG {
    /// Decodes to RGB with the accurate integer IDCT and fancy upsampling (libjpeg's defaults, as PIL uses).
    /// Warnings are errors: TurboJPEG 2.x would otherwise return a partly decoded picture for a truncated or damaged file.
    static func decode(_ data: Data) throws -> RGBImage {
        guard let handle = tjInitDecompress() else { throw ImageError.corrupt("JPEG: \(message(nil))") }
        defer { tjDestroy(handle) }
        return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> RGBImage in
            let source = raw.bindMemory(to: UInt8.self)
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            guard tjDecompressHeader3(handle, source.baseAddress, UInt(source.count), &width, &height, &subsampling, &colorspace) == 0 else {
                throw error(handle, data: data)
            }
            // A stream holding only tables (or cut before its frame header) "succeeds" with a 0×0 size.
            guard width > 0, height > 0 else {
                throw endsEarly(data) ? ImageError.truncated("JPEG: the data ends before the frame header")
                                      : ImageError.corrupt("JPEG: no frame header (tables only)")
            }
            guard colorspace != Int32(TJCS_CMYK.rawValue), colorspace != Int32(TJCS_YCCK.rawValue) else {
                throw ImageError.unsupportedFormat("CMYK JPEG images are not handled")
            }
            guard let count = RGBImage.byteCount(width: Int(width), height: Int(height)) else {
                throw ImageError.badSize("JPEG of \(width)×\(height) pixels (at most \(RGBImage.maxPixelCount) pixels)")
            }
            var pixels = [UInt8](repeating: 0, count: count)
            let status = pixels.withUnsafeMutableBufferPointer { target in
                tjDecompress2(handle, source.baseAddress, UInt(source.count), target.baseAddress, width, 0, height,
                              Int32(TJPF_RGB.rawValue), TJFLAG_STOPONWARNING)
            }
            guard status == 0 else { throw error(handle, data: data) }
            return try RGBImage(width: Int(width), height: Int(height), pixels: pixels)
        }
    }

    /// Encodes baseline JPEG with 4:2:0 chroma subsampling at `quality` 1...100.
    static func encode(_ image: RGBImage, quality: Int) throws -> Data {
        guard (1...100).contains(quality) else { throw ImageError.badOption("JPEG quality must be in 1...100, got \(quality)") }
        guard RGBImage.byteCount(width: image.width, height: image.height) == image.pixels.count,
              let width = Int32(exactly: image.width), let height = Int32(exactly: image.height) else {
            throw ImageError.badSize("a \(image.width)×\(image.height) RGB image cannot hold \(image.pixels.count) bytes")
        }
        guard let handle = tjInitCompress() else { throw ImageError.corrupt("JPEG: \(message(nil))") }
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        defer { tjFree(buffer) }
        let status = image.pixels.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, width, 0, height, Int32(TJPF_RGB.rawValue),
                        &buffer, &size, Int32(TJSAMP_420.rawValue), Int32(quality), 0)
        }
        guard status == 0, let buffer else { throw error(handle) }
        return Data(bytes: buffer, count: Int(size))
    }

    /// TurboJPEG's message for `handle` (or the global one for nil).
    private static func message(_ handle: tjhandle?) -> String {
        tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown TurboJPEG error"
    }

    /// The last error of `handle`, typed: `.truncated` when TurboJPEG saw the data end early or the data lacks its
    /// closing EOI marker (TurboJPEG keeps only its last message, often a consequence such as "missing SOS marker"),
    /// `.corrupt` otherwise.
    private static func error(_ handle: tjhandle, data: Data? = nil) -> ImageError {
        let text = message(handle)
        if text.contains("Premature end") || data.map(endsEarly) == true { return .truncated("JPEG: \(text)") }
        return .corrupt("JPEG: \(text)")
    }

    /// True when `data` does not end with the EOI marker FF D9.
    private static func endsEarly(_ data: Data) -> Bool {
        data.count < 2 || data.suffix(2) != Data([0xFF, 0xD9])
    }
}
