import GlimpseCore
import GlimpseModels

/// RISE (Petsiuk et al., BMVC 2018; eclique/RISE): N random masks, each an s×s grid of cells kept with
/// probability p, upsampled bilinearly to (s + 1)·⌈H/s⌉ and cropped at a random shift in [0, ⌈H/s⌉); the model's
/// *normalised* input is multiplied by each mask (removed pixels become the normalisation's centre colour) and
/// scored by the softmax probability of the class; saliency = Σ_i p_i M_i / (N · p). Every draw comes from the
/// seed, masks are generated batch by batch (N × H × W floats are never held at once). The upsampling clamps at
/// the border where the reference (scikit-image, mode "reflect") reflects; only the outer half cell differs.
public struct RISE {
    public var masks: Int
    public var cells: Int
    public var keepProbability: Float
    public var seed: UInt64
    public var batchSize: Int

    /// Defaults: the authors' notebook's grid and keep probability (s = 8, p = 0.1), the paper's N = 4000.
    public init(masks: Int = 4000, cells: Int = 8, keepProbability: Float = 0.1, seed: UInt64 = 0, batchSize: Int = 16) {
        self.masks = masks
        self.cells = cells
        self.keepProbability = keepProbability
        self.seed = seed
        self.batchSize = batchSize
    }

    /// The saliency map [H, W] of x [1, C, H, W] (in [0, 1]) for `target` (a `.logit(c)` target is scored as the
    /// probability of c, as the authors do).
    public func map(model: any Classifier, _ x: Tensor, target: SaliencyTarget) throws -> Tensor {
        guard masks >= 1, cells >= 1, batchSize >= 1, keepProbability > 0, keepProbability <= 1 else {
            throw SaliencyError.badOption("RISE needs masks, cells and batch size >= 1 and a keep probability in (0, 1]")
        }
        guard x.rank == 4, x.shape[0] == 1 else { throw SaliencyError.badOption("RISE takes one image [1, C, H, W], found \(x.shape)") }
        let scored: SaliencyTarget = if case let .logit(c) = target { .probability(c) } else { target }
        let (height, width) = (x.shape[2], x.shape[3])
        var rng = SeededRNG(seed: seed)
        var total = Tensor(zeros: [height, width])
        try withoutGradient {
            let normalized = try model.normalizedInput(x)
            var done = 0
            while done < masks {
                let n = min(batchSize, masks - done)
                let batch = try Tensor.concatenate((0..<n).map { _ in try mask(height: height, width: width, rng: &rng) }, axis: 0)
                let result = try model.run(model.imageFromNormalized(normalized * batch), capturing: scored.layers)
                let p = try scored.perImage(result).reshaped([n, 1, 1, 1])
                total = try total + (batch * p).sum(axes: [0, 1])
                done += n
            }
        }
        return total * (1 / (Float(masks) * keepProbability))
    }

    /// One mask [1, 1, H, W] from `rng`.
    public func mask(height: Int, width: Int, rng: inout SeededRNG) throws -> Tensor {
        let cellH = (height + cells - 1) / cells, cellW = (width + cells - 1) / cells
        let grid = (0..<(cells * cells)).map { _ in rng.nextUniform() < keepProbability ? Float(1) : 0 }
        let dy = Int(rng.nextUniform() * Float(cellH)) % cellH, dx = Int(rng.nextUniform() * Float(cellW)) % cellW
        let up = try Tensor(grid, shape: [1, 1, cells, cells]).resizedBilinear(height: (cells + 1) * cellH, width: (cells + 1) * cellW)
        return try up.sliced(axis: 2, dy..<(dy + height)).sliced(axis: 3, dx..<(dx + width))
    }
}
