/// Errors of feature visualization.
public enum VisError: Error, Equatable, CustomStringConvertible {
    /// An option is out of its valid range.
    case badOption(String)
    /// An objective does not fit the model (unknown channel, bad `"layer:channel"` text, ...).
    case badObjective(String)
    /// The optimisation produced a non-finite objective.
    case diverged(step: Int, value: Float)

    public var description: String {
        switch self {
        case let .badOption(m): return m
        case let .badObjective(m): return "bad objective: \(m)"
        case let .diverged(step, value): return "the objective became \(value) at step \(step)"
        }
    }
}
