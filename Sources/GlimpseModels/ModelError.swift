/// Errors raised while building or running a model.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case unknownLayer(String, known: [String])
    case unknownModel(String, known: [String])
    case badInput(String)
    case weightsNotFound(String)
    /// The model cannot run its tail from this layer (`Classifier.resume`).
    case cannotResume(model: String, layer: String, supported: [String])

    public var description: String {
        switch self {
        case let .unknownLayer(name, known):
            let close = known.filter { $0.hasPrefix(String(name.prefix(4))) }.prefix(5)
            return "unknown layer '\(name)'" + (close.isEmpty ? " (run `glimpse layers` to list them)" : "; similar: \(close.joined(separator: ", "))")
        case let .unknownModel(name, known):
            return "unknown model '\(name)'; known models: \(known.joined(separator: ", "))"
        case let .badInput(message):
            return message
        case let .weightsNotFound(message):
            return message
        case let .cannotResume(model, layer, supported):
            return supported.isEmpty ? "\(model) cannot run from a layer's output (no tail implementation); '\(layer)' needs full forward passes"
                : "\(model) cannot run from '\(layer)'; it can from: \(supported.prefix(8).joined(separator: ", "))\(supported.count > 8 ? ", …" : "")"
        }
    }
}
