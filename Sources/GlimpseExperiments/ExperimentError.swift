/// Errors of the experiment runners.
public enum ExperimentError: Error, Equatable, CustomStringConvertible {
    /// A config that cannot be read or has values out of range.
    case badConfig(String)
    /// Stored results that cannot be used (unreadable or from another run).
    case badResults(String)

    public var description: String {
        switch self {
        case let .badConfig(s): return "bad experiment config: \(s)"
        case let .badResults(s): return "bad stored results: \(s)"
        }
    }
}
