/// Errors raised by tensor operations; each names what was expected and what was found.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    case shapeMismatch(String, expected: [Int], found: [Int])
    case incompatibleShapes(String, [Int], [Int])
    case valueCount(expected: Int, found: Int, shape: [Int])
    case invalidArgument(String)
    case nonFinite(String)
    case notDifferentiable(String)

    public var description: String {
        switch self {
        case let .shapeMismatch(what, expected, found):
            return "\(what): expected shape \(expected), found \(found)"
        case let .incompatibleShapes(what, a, b):
            return "\(what): shapes \(a) and \(b) are incompatible"
        case let .valueCount(expected, found, shape):
            return "shape \(shape) needs \(expected) values, found \(found)"
        case let .invalidArgument(message):
            return message
        case let .nonFinite(what):
            return "\(what) contains NaN or infinite values"
        case let .notDifferentiable(message):
            return message
        }
    }
}
