/// Errors of saliency methods.
public enum SaliencyError: Error, Equatable, CustomStringConvertible {
    /// The target's class or channel index is outside what the model produces.
    case targetOutOfRange(String, index: Int, count: Int)
    /// No method of that name.
    case unknownMethod(String, known: [String])
    /// An option or input the method cannot use.
    case badOption(String)

    public var description: String {
        switch self {
        case let .targetOutOfRange(what, index, count): return "target \(what) \(index) is out of range 0..<\(count)"
        case let .unknownMethod(name, known): return "unknown saliency method '\(name)'; known: \(known.joined(separator: ", "))"
        case let .badOption(message): return message
        }
    }
}
