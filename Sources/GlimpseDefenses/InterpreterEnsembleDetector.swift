import GlimpseCore
import GlimpseModels
import GlimpseSaliency

/// The interpreter-ensemble consistency check (the countermeasure ADV² proposes): explain the predicted class with
/// several interpreters and flag the image when their maps disagree more than they do on clean images. An attack
/// that steers one interpreter's map rarely steers the others the same way.
///
/// Each map is min-max normalised to [0, 1]; the score is the mean over interpreter pairs of the mean absolute
/// difference between their maps.
public struct InterpreterEnsembleDetector: AdversarialDetector {
    public let model: any Classifier
    public let interpreters: [SaliencyMethod]
    public let options: SaliencyMethod.Options
    public var name: String { "interpreter-ensemble(" + interpreters.map(\.rawValue).joined(separator: ",") + ")" }

    public init(model: any Classifier, interpreters: [SaliencyMethod] = [.vanilla, .gradcam, .layercam],
                options: SaliencyMethod.Options = SaliencyMethod.Options()) throws {
        guard interpreters.count >= 2 else { throw DefenseError.invalidOption("an interpreter ensemble needs at least two interpreters") }
        self.model = model
        self.interpreters = interpreters
        self.options = options
    }

    public func scores(_ x: Tensor) throws -> [Float] {
        guard x.rank == 4 else { throw DefenseError.badInput("detectors take images [N, C, H, W], got \(x.shape)") }
        return try (0..<x.shape[0]).map { i in
            let image = try x.sliced(axis: 0, i..<(i + 1))
            let logits = try model.logits(image).scalars
            let predicted = logits.indices.max { logits[$0] < logits[$1] } ?? 0
            let maps = try interpreters.map { try Self.normalised($0.map(model: model, image, target: .logit(predicted), options: options)) }
            var total: Float = 0, pairs: Float = 0
            for a in 0..<maps.count {
                for b in (a + 1)..<maps.count {
                    total += zip(maps[a], maps[b]).reduce(0) { $0 + Swift.abs($1.0 - $1.1) } / Float(maps[a].count)
                    pairs += 1
                }
            }
            return total / pairs
        }
    }

    /// Values scaled to [0, 1] (a constant map becomes all zeros).
    static func normalised(_ map: Tensor) -> [Float] {
        let v = map.scalars
        guard let lo = v.min(), let hi = v.max(), hi > lo else { return [Float](repeating: 0, count: v.count) }
        return v.map { ($0 - lo) / (hi - lo) }
    }
}
