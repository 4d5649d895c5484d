import GlimpseCore
import GlimpseModels

/// Meaningful Perturbation, "MASK" (Fong & Vedaldi, ICCV 2017), with the defaults of the authors' Caffe code:
/// a mask m ∈ [0, 1]^{28×28} (1 keeps a pixel), upsampled ×8 (nearest) and blurred (σ = `maskBlur`), blends the
/// image with its blurred copy (σ = `nullBlur`): Φ = m·x + (1 − m)·blur(x), in the model's normalised space. Adam
/// (lr 0.1) minimises λ₁ Σ|1 − m| + λ₂ Σ_u (|∇m(u)|)^β + p_c(jitter(Φ)) for `iterations` steps, clamping m to
/// [0, 1] after each; jitter shifts Φ by a seeded random offset in [0, `jitter`]² (zero fill). The initial mask
/// keeps everything (m = 1, as the common PyTorch port; the Caffe code starts from a blurred circle of unstated
/// size). The saliency map is 1 − the final upsampled, blurred mask: what had to be deleted.
public struct MeaningfulPerturbation {
    public var iterations = 300
    public var learningRate: Float = 0.1
    public var l1Lambda: Float = 1e-4
    public var tvLambda: Float = 1e-2
    public var tvBeta: Float = 3
    public var jitter = 4
    public var maskScale = 8
    public var maskBlur: Float = 5
    public var nullBlur: Float = 10
    public var seed: UInt64 = 0

    public init() {}

    /// The map [H, W] in [0, 1] for x [1, C, H, W] in [0, 1]; `target` `.logit(c)` is scored as p_c.
    /// `progress(step, objective)` is called after every step.
    public func map(model: any Classifier, _ x: Tensor, target: SaliencyTarget,
                    progress: ((Int, Float) -> Void)? = nil) throws -> Tensor {
        guard x.rank == 4, x.shape[0] == 1 else { throw SaliencyError.badOption("MASK takes one image [1, C, H, W], found \(x.shape)") }
        let (height, width) = (x.shape[2], x.shape[3])
        guard iterations >= 1, maskScale >= 1, height % maskScale == 0, width % maskScale == 0, jitter >= 0 else {
            throw SaliencyError.badOption("MASK needs iterations >= 1 and an image side divisible by the mask scale \(maskScale)")
        }
        let scored: SaliencyTarget = if case let .logit(c) = target { .probability(c) } else { target }
        let (mh, mw) = (height / maskScale, width / maskScale)
        let (image, null) = try withoutGradient {
            let n = try model.normalizedInput(x)
            return (n, try n.gaussianBlurred(sigma: nullBlur))
        }
        var m = Tensor(repeating: 1, shape: [1, 1, mh, mw])
        var firstMoment = Tensor(zeros: m.shape), secondMoment = Tensor(zeros: m.shape)
        var rng = SeededRNG(seed: seed)
        for step in 1...iterations {
            let parameter = m.requiringGradient()
            let up = try upsampled(parameter, height: height, width: width)
            let blended = try image * up + null * (1 - up)
            let (dy, dx) = (Int(rng.next() % UInt64(jitter + 1)), Int(rng.next() % UInt64(jitter + 1)))
            let shifted = try blended.padded(top: dy, bottom: -dy, left: dx, right: -dx)
            let score = try scored.score(model.run(model.imageFromNormalized(shifted), capturing: scored.layers))
            let objective = try score + l1Lambda * (1 - parameter).abs().sum() + tvLambda * totalVariation(parameter)
            let g = try gradient(of: objective, wrt: [parameter])[0]
            try withoutGradient {
                firstMoment = try firstMoment * 0.9 + g * 0.1
                secondMoment = try secondMoment * 0.999 + g.squared() * 0.001
                let mHat = firstMoment * (1 / (1 - Float.power(0.9, step)))
                let vHat = secondMoment * (1 / (1 - Float.power(0.999, step)))
                m = try (m - learningRate * mHat / (vHat.sqrt() + 1e-8)).clamped(0, 1)
            }
            progress?(step, objective.scalar)
        }
        return try withoutGradient { try (1 - upsampled(m, height: height, width: width)).reshaped([height, width]) }
    }

    /// Nearest-neighbour upsampling of masks [N, 1, h, w] by `maskScale`, then the mask blur (differentiable).
    public func upsampled(_ m: Tensor, height: Int, width: Int) throws -> Tensor {
        let (n, mh, mw) = (m.shape[0], m.shape[2], m.shape[3])
        let nearest = try m.reshaped([n, 1, mh, 1, mw, 1]).broadcast(to: [n, 1, mh, maskScale, mw, maskScale])
            .reshaped([n, 1, height, width])
        return try nearest.gaussianBlurred(sigma: maskBlur)
    }

    /// Σ_u (d₁(u)² + d₂(u)²)^{β/2} with forward differences (the last row and column have none).
    func totalVariation(_ m: Tensor) throws -> Tensor {
        let (h, w) = (m.shape[2], m.shape[3])
        let inner = try m.sliced(axis: 2, 0..<(h - 1)).sliced(axis: 3, 0..<(w - 1))
        let down = try m.sliced(axis: 2, 1..<h).sliced(axis: 3, 0..<(w - 1)) - inner
        let right = try m.sliced(axis: 2, 0..<(h - 1)).sliced(axis: 3, 1..<w) - inner
        return try (down.squared() + right.squared()).pow(tvBeta / 2).sum()
    }
}

private extension Float {
    static func power(_ base: Float, _ exponent: Int) -> Float { (0..<exponent).reduce(1) { acc, _ in acc * base } }
}
