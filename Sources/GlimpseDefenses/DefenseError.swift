/// Errors of the defenses module: bad options or inputs, each with a one-line description.
public enum DefenseError: Error, CustomStringConvertible, Equatable {
    case invalidOption(String)
    case badInput(String)

    public var description: String {
        switch self {
        case let .invalidOption(m), let .badInput(m): return m
        }
    }
}
