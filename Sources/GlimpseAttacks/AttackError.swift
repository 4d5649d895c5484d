/// Errors raised by attacks and their metrics; each says what was wrong with the request.
public enum AttackError: Error, Equatable, CustomStringConvertible {
    /// A parameter outside its valid range (name, value, what is allowed).
    case badParameter(String)
    /// Images outside [0, 1] or of the wrong shape.
    case badInput(String)
    /// Labels or targets that do not match the batch or the model's classes.
    case badLabels(String)

    public var description: String {
        switch self {
        case let .badParameter(m), let .badInput(m), let .badLabels(m): return m
        }
    }
}
