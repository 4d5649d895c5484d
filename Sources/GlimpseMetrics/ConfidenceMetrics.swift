import GlimpseCore
import GlimpseModels

/// Average Drop, Increase in Confidence, Coherency, Complexity and ADCC (Poppi et al., CVPRW 2021,
/// aimagelab/ADCC) for one image. The map L (input resolution, min-max normalised to [0, 1]) multiplies the
/// model's *normalised* input: E = x ⊙ L, so removed pixels become the normalisation's centre colour.
/// Y = p_c(x), O = p_c(E) (softmax probabilities), c the explained class.
public struct ConfidenceScores: Sendable, Codable, Equatable {
    /// max(0, Y − O) / Y.
    public var drop: Double
    /// 1 when O > Y, else 0.
    public var increase: Double
    /// (1 + Pearson(L(x), L(E))) / 2, with L(E) the same method re-run on the explanation image; 0 when L(E)
    /// is not finite.
    public var coherency: Double
    /// mean(L).
    public var complexity: Double

    /// 3 / (1/coherency + 1/(1 − complexity) + 1/(1 − drop)), the harmonic mean (0 when a term is 0).
    public var adcc: Double {
        let terms = [coherency, 1 - complexity, 1 - drop]
        guard terms.allSatisfy({ $0 > 0 }) else { return 0 }
        return 3 / terms.reduce(0) { $0 + 1 / $1 }
    }

    /// Computes the scores; `explain(image)` returns the method's map [H, W] of an image [1, C, H, W] for class c.
    public static func evaluate(model: any Classifier, _ x: Tensor, map: Tensor, classIndex c: Int,
                                explain: (Tensor) throws -> Tensor) throws -> ConfidenceScores {
        guard x.rank == 4, x.shape[0] == 1, map.shape == [x.shape[2], x.shape[3]] else {
            throw MetricError.badInput("ADCC needs one image [1, C, H, W] and a map [H, W], found \(x.shape) and \(map.shape)")
        }
        guard (0..<model.classCount).contains(c) else { throw MetricError.badInput("class \(c) is out of range 0..<\(model.classCount)") }
        let l = try MapStatistics.normalized(map)
        let explanation = try withoutGradient {
            try model.imageFromNormalized(model.normalizedInput(x) * l.reshaped([1, 1, x.shape[2], x.shape[3]]))
        }
        let probabilities = try withoutGradient {
            try model.logits(Tensor.concatenate([x, explanation], axis: 0)).softmax(axis: 1).scalars
        }
        let (y, o) = (Double(probabilities[c]), Double(probabilities[model.classCount + c]))
        let again = try explain(explanation)
        let coherency = again.isFinite ? (1 + MapStatistics.pearson(l.scalars, try MapStatistics.normalized(again).scalars)) / 2 : 0
        return ConfidenceScores(drop: y > 0 ? max(0, y - o) / y : 0, increase: o > y ? 1 : 0, coherency: coherency,
                                complexity: l.scalars.reduce(0.0) { $0 + Double($1) } / Double(l.count))
    }
}
