import GlimpseCore
import GlimpseModels

/// Scoring modified activations of the explained layer by running only the network after it.
extension LayerEvidence {
    /// True when `tailScores` uses the exact affine shortcut: the target is a logit and the model reports an
    /// affine tail after the layer (EfficientNet-Lite0's `_head_act`, ResNet's last stage). Then the score of a
    /// modified copy A′ is y + Σ G ⊙ (A′ − A), with G the gradient already in the evidence.
    public var usesAffineTail: Bool {
        if case .logit = target { return model.tailIsAffine(from: layer) }
        return false
    }

    /// The target on `count` modified copies of the activations, evaluated `batch` copies at a time through the
    /// model's tail (`Classifier.resume`), or by the affine shortcut (`usesAffineTail`) unless `runTail` is set.
    /// `modify(i, a)` receives a fresh copy `a` of A ([C, h, w], row-major) and changes it into copy i.
    /// When `touching(i)` is given, copy i differs from A only inside that range of indices, and the affine
    /// shortcut reads only that range (Ablation-CAM's one channel instead of the whole layer).
    /// Throws `ModelError.cannotResume` when the model cannot run from the layer.
    public func tailScores(count: Int, batch: Int = 64, runTail: Bool = false, touching: ((Int) -> Range<Int>)? = nil,
                           _ modify: (Int, UnsafeMutableBufferPointer<Float>) throws -> Void) throws -> [Float] {
        guard batch >= 1 else { throw SaliencyError.badOption("tail batch size must be at least 1") }
        guard model.canResume(from: layer) else {
            throw ModelError.cannotResume(model: model.name, layer: layer, supported: model.resumableLayers)
        }
        if usesAffineTail && !runTail { return try affineScores(count: count, touching: touching, modify) }
        let size = activations.count
        var scores: [Float] = []
        scores.reserveCapacity(count)
        try withoutGradient {
            try activations.withUnsafeBufferPointer { a in
                var start = 0
                while start < count {
                    let n = min(batch, count - start)
                    let copies = try Tensor(shape: [n] + activations.shape) { p, _ in
                        for j in 0..<n {
                            let slot = UnsafeMutableBufferPointer(start: p + j * size, count: size)
                            _ = slot.initialize(from: a)
                            try modify(start + j, slot)
                        }
                    }
                    let result = try model.resume(from: layer, copies, capturing: target.layers)
                    scores += try target.perImage(result).scalars
                    start += n
                }
            }
        }
        return scores
    }

    /// The target on the unmodified activations, through the tail (equals the full forward's up to rounding).
    public func tailScore() throws -> Float {
        try tailScores(count: 1, runTail: true) { _, _ in }[0]
    }

    /// y + Σ G ⊙ A′ − Σ G ⊙ A for each modified copy A′ (Σ G ⊙ A in Double), both sums over `touching(i)` when given.
    private func affineScores(count: Int, touching: ((Int) -> Range<Int>)?,
                              _ modify: (Int, UnsafeMutableBufferPointer<Float>) throws -> Void) throws -> [Float] {
        let y = Double(try tailScore())
        let size = activations.count
        var copy = [Float](repeating: 0, count: size)
        return try activations.withUnsafeBufferPointer { a in
            try gradients.withUnsafeBufferPointer { g in
                let base = Self.dot(g, a)
                return try copy.withUnsafeMutableBufferPointer { c in
                    _ = c.update(fromContentsOf: a)
                    return try (0..<count).map { i in
                        guard let range = touching?(i) else {
                            _ = c.update(fromContentsOf: a)
                            try modify(i, c)
                            return Float(y + Self.dot(g, UnsafeBufferPointer(c)) - base)
                        }
                        // c equals A outside `range`; only that part changes, is read, and is restored.
                        try modify(i, c)
                        let score = y + Self.dot(UnsafeBufferPointer(rebasing: g[range]), UnsafeBufferPointer(rebasing: c[range]))
                            - Self.dot(UnsafeBufferPointer(rebasing: g[range]), UnsafeBufferPointer(rebasing: a[range]))
                        _ = UnsafeMutableBufferPointer(rebasing: c[range]).update(fromContentsOf: UnsafeBufferPointer(rebasing: a[range]))
                        return Float(score)
                    }
                }
            }
        }
    }

    /// Σ x_i y_i, eight lanes in Float per block of 512, blocks summed in Double.
    static func dot(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeBufferPointer<Float>) -> Double {
        var total = 0.0, i = 0
        let n = x.count
        while i < n {
            let end = min(i + 512, n)
            var lanes = SIMD8<Float>()
            while i + 8 <= end {
                lanes += SIMD8<Float>(x[i..<(i + 8)]) * SIMD8<Float>(y[i..<(i + 8)])
                i += 8
            }
            var rest: Float = 0
            while i < end { rest += x[i] * y[i]; i += 1 }
            total += Double(lanes.sum() + rest)
        }
        return total
    }
}
