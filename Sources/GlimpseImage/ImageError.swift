/// Errors raised while decoding, encoding, reading, writing or composing images. Each description is one line.
public enum ImageError: Error, Equatable, CustomStringConvertible {
    /// The bytes start with neither the PNG nor the JPEG signature.
    case notAnImage
    /// The decoder rejected the data (bad structure, checksum, unsupported variant).
    case corrupt(String)
    /// The data ends before the image does.
    case truncated(String)
    /// Sizes that do not fit (pixel count, crop rectangle, mismatched images, too many pixels).
    case badSize(String)
    /// An option out of its range (JPEG quality, alpha, grid columns, ...).
    case badOption(String)
    /// NaN or infinite values where pixel values were expected.
    case nonFinite
    /// A file extension or image variant that is not handled.
    case unsupportedFormat(String)
    /// The file could not be read, or its contents could not be decoded (`reason` says which).
    case unreadable(path: String, reason: String)
    /// The file could not be written.
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .notAnImage: return "not a PNG or JPEG image"
        case let .corrupt(message): return "corrupt image: \(message)"
        case let .truncated(message): return "truncated image: \(message)"
        case let .badSize(message): return "bad image size: \(message)"
        case let .badOption(message): return "bad option: \(message)"
        case .nonFinite: return "image values contain NaN or infinity"
        case let .unsupportedFormat(message): return "unsupported image format: \(message)"
        case let .unreadable(path, reason): return "cannot read image \(path): \(reason)"
        case let .unwritable(path, reason): return "cannot write image \(path): \(reason)"
        }
    }
}
