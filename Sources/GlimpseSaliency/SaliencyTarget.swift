import GlimpseCore

/// What a saliency map explains: a scalar computed from the model's logits.
public enum SaliencyTarget: Sendable, Equatable {
    /// The raw logit of a class.
    case logit(Int)
    /// The softmax probability of a class.
    case probability(Int)

    /// The class index.
    public var classIndex: Int {
        switch self {
        case let .logit(c), let .probability(c): return c
        }
    }

    /// The target summed over the batch (one scalar, so one backward pass gives every image's gradient).
    public func score(_ logits: Tensor) throws -> Tensor {
        let c = classIndex
        guard logits.rank == 2, c >= 0, c < logits.shape[1] else {
            throw SaliencyError.targetOutOfRange(c, classes: logits.rank == 2 ? logits.shape[1] : 0)
        }
        switch self {
        case .logit: return try logits.sliced(axis: 1, c..<(c + 1)).sum()
        case .probability: return try logits.softmax(axis: 1).sliced(axis: 1, c..<(c + 1)).sum()
        }
    }
}

/// Errors of saliency methods.
public enum SaliencyError: Error, Equatable, CustomStringConvertible {
    case targetOutOfRange(Int, classes: Int)
    case unknownMethod(String, known: [String])
    case badOption(String)

    public var description: String {
        switch self {
        case let .targetOutOfRange(c, classes): return "target class \(c) is out of range 0..<\(classes)"
        case let .unknownMethod(name, known): return "unknown saliency method '\(name)'; known: \(known.joined(separator: ", "))"
        case let .badOption(message): return message
        }
    }
}
