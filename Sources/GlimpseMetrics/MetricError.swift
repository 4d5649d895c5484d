/// Errors of the faithfulness metrics.
public enum MetricError: Error, Equatable, CustomStringConvertible {
    /// A map, image or option the metric cannot use.
    case badInput(String)

    public var description: String {
        switch self {
        case let .badInput(message): return message
        }
    }
}
