import GlimpseCore
import GlimpseModels

/// Scoring modified activations of the explained layer by running only the network after it.
extension LayerEvidence {
    /// The target on `count` modified copies of the activations, evaluated `batch` copies at a time through the
    /// model's tail (`Classifier.resume`). `modify(i, a)` receives a fresh copy `a` of A ([C, h, w], row-major)
    /// and changes it into copy i. Throws `ModelError.cannotResume` when the model cannot run from the layer.
    public func tailScores(count: Int, batch: Int = 64,
                           _ modify: (Int, UnsafeMutableBufferPointer<Float>) throws -> Void) throws -> [Float] {
        guard batch >= 1 else { throw SaliencyError.badOption("tail batch size must be at least 1") }
        guard model.canResume(from: layer) else {
            throw ModelError.cannotResume(model: model.name, layer: layer, supported: model.resumableLayers)
        }
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
        try tailScores(count: 1) { _, _ in }[0]
    }
}
