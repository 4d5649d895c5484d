/// Errors raised while decoding, encoding or composing images.
public enum ImageError: Error, Equatable, CustomStringConvertible {
    case notAnImage
    case corrupt(String)
    case truncated(String)
    case badSize(String)
    case badOption(String)
    case nonFinite
    case unsupportedFormat(String)
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .notAnImage: return "not a PNG or JPEG image"
        case let .corrupt(m): return "corrupt image: \(m)"
        case let .truncated(m): return "truncated image: \(m)"
        case let .badSize(m): return "bad image size: \(m)"
        case let .badOption(m): return m
        case .nonFinite: return "image values contain NaN or infinity"
        case let .unsupportedFormat(m): return "unsupported image format: \(m)"
        case let .unreadable(path, reason): return "cannot read image \(path): \(reason)"
        }
    }
}
