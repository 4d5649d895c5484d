import GlimpseCore
import GlimpseModels

extension Objective {
    /// The objective on fixed images, without gradients: on the images themselves when `samples` is 0, else the
    /// mean over `samples` seeded random draws of `transforms` (robustness of a visualization).
    public func evaluate(model: any Classifier, images: Tensor, transforms: [ImageTransform] = ImageTransform.standard,
                         samples: Int = 0, seed: UInt64 = 0) throws -> Float {
        guard samples >= 0 else { throw VisError.badOption("samples must be >= 0, found \(samples)") }
        return try withoutGradient {
            guard samples > 0 else { return try value(forward(model, images)).scalar }
            var rng = SeededRNG(seed: seed)
            var total: Float = 0
            for _ in 0..<samples {
                let x = try ImageTransform.apply(transforms, to: images, rng: &rng)
                total += try value(forward(model, x)).scalar
            }
            return total / Float(samples)
        }
    }
}
