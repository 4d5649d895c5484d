import GlimpseCore

/// Recipro-CAM (Byun & Lee 2022, sybyun/ReciproCAM): for each position (i, j) of the layer, a copy of the
/// activations keeping only that position (all channels) goes through the rest of the network; the map at (i, j)
/// is the target of that copy. The authors score the softmax probability of the class, so a `.logit(c)` target
/// is scored as `.probability(c)` unless `scoreLogits` is set.
///
/// With `gaussian`, the kept position spreads over its 3×3 neighbourhood with weights [1 2 1; 2 4 2; 1 2 1]/16
/// (the first, OpenVINO version). Cost: 1 forward + h·w tail evaluations (49 for a 224×224 input at
/// EfficientNet-Lite0's `_head_act`).
public struct ReciproCAM: CAMMethod {
    public let name: String
    public var gaussian: Bool
    public var scoreLogits: Bool

    public init(gaussian: Bool = false, scoreLogits: Bool = false) {
        self.gaussian = gaussian
        self.scoreLogits = scoreLogits
        name = gaussian ? "reciprocam-gaussian" : "reciprocam"
    }

    /// Not a channel-weighted map: the map is defined position by position (`rawMap`).
    public func channelWeights(_ e: LayerEvidence) throws -> Tensor {
        throw SaliencyError.badOption("Recipro-CAM has no channel weights; use rawMap")
    }

    /// The target of each single-position copy, [h, w] (not clipped: probabilities are positive).
    public func rawMap(_ e: LayerEvidence) throws -> Tensor {
        let (h, w) = (e.activations.shape[1], e.activations.shape[2])
        let n = h * w
        var scored = e
        if !scoreLogits, case let .logit(c) = e.target { scored = e.retargeted(.probability(c)) }
        let kernel: [Float] = [1, 2, 1, 2, 4, 2, 1, 2, 1].map { $0 / 16 }
        let scores = try scored.tailScores(count: n) { p, a in
            let (pi, pj) = (p / w, p % w)
            // The kept cells of each channel plane and their weights; everything else becomes zero.
            var kept: [(cell: Int, weight: Float)] = [(p, 1)]
            if gaussian {
                kept = []
                for di in -1...1 { for dj in -1...1 where (0..<h).contains(pi + di) && (0..<w).contains(pj + dj) {
                    kept.append(((pi + di) * w + pj + dj, kernel[(di + 1) * 3 + dj + 1]))
                } }
            }
            withUnsafeTemporaryAllocation(of: Float.self, capacity: kept.count) { values in
                for k in 0..<e.channels {
                    let plane = a.baseAddress! + k * n
                    for (t, (cell, weight)) in kept.enumerated() { values[t] = plane[cell] * weight }
                    plane.update(repeating: 0, count: n)
                    for (t, (cell, _)) in kept.enumerated() { plane[cell] = values[t] }
                }
            }
        }
        return try Tensor(scores, shape: [h, w])
    }
}

extension LayerEvidence {
    /// The same evidence with another target (gradients are left as they were).
    func retargeted(_ target: SaliencyTarget) -> LayerEvidence {
        LayerEvidence(activations: activations, gradients: gradients, model: model, input: input, target: target, layer: layer)
    }
}
