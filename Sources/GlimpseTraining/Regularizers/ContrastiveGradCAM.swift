import GlimpseCore
import GlimpseModels

/// CGC, Contrastive Grad-CAM Consistency (Pillai et al., CVPR 2022): the Grad-CAM map of an augmented view should
/// equal the same augmentation applied to the original image's map, contrasted against the other views' maps (InfoNCE).
///
/// Per batch: t = the predicted class of x; GC(·) = ReLU(Σ_k ∂y_t/∂A_k ⊙ A_k) at `layer` (taken with `createGraph`,
/// so the loss is differentiable in the weights), bilinearly upsampled to the image size, divided by its sum (+1e-8),
/// +1e-8; q_i = GC(view_i(x_i)) and k_i = view_i(GC(x_i)), both L2-normalised; logits_i = [q_i·k_i, q_i·q_j (j ≠ i)]/τ;
/// L = CE(f(x), y) + CE(f(view(x)), y) + λ·CE(logits, positive). Views are random resized crops (area `minimumScale`…1,
/// the paper's 0.08 being too small for 28×28 images) with flips, drawn from the step's generator. Original and
/// views go through the network in one batch (one set of batch-norm statistics).
public struct ContrastiveGradCAM: Codable, Sendable, Equatable {
    /// Weight λ and temperature τ (the paper's ImageNet setting: 0.5 and 0.5).
    public var lambda: Float, temperature: Float
    /// Smallest crop area fraction of a view.
    public var minimumScale: Float
    /// The tapped layer whose output is A.
    public var layer: String

    public init(lambda: Float = 0.5, temperature: Float = 0.5, minimumScale: Float = 0.25, layer: String = "relu3") throws {
        self.lambda = lambda; self.temperature = temperature; self.minimumScale = minimumScale; self.layer = layer
        try validate()
    }

    func validate() throws {
        guard lambda >= 0, lambda.isFinite, temperature > 0, temperature.isFinite, minimumScale > 0, minimumScale <= 1 else {
            throw TrainingError.invalidSetting("CGC needs λ ≥ 0 (\(lambda)), τ > 0 (\(temperature)) and 0 < minimum scale ≤ 1 (\(minimumScale))")
        }
    }

    func step(_ model: any TrainableClassifier, _ x: Tensor, labels: [Int], parameters: [String: Tensor],
              rng: inout SeededRNG) throws -> StepOutput {
        let n = labels.count, (h, w) = (x.shape[2], x.shape[3])
        let views = (0..<n).map { _ in ViewTransform.random(height: h, width: w, scale: minimumScale...1, rng: &rng) }
        let (loss, logits, stats) = try self.loss(model, x, labels: labels, parameters: parameters, views: views)
        return StepOutput(loss: loss, correct: ClassifierTraining.correctCount(try logits.sliced(axis: 0, 0..<n), labels),
                          seen: n, statistics: stats)
    }

    /// The CGC loss with given views (one per example); also the logits of [x; views] and the batch statistics.
    public func loss(_ model: any TrainableClassifier, _ x: Tensor, labels: [Int], parameters: [String: Tensor],
                     views: [ViewTransform]) throws -> (loss: Tensor, logits: Tensor, statistics: [String: BatchStatistics]) {
        guard let model = model as? any CAMTrainableClassifier else {
            throw TrainingError.invalidSetting("CGC needs a model whose training pass can tap layers; \(model.name) cannot")
        }
        let n = labels.count, (h, w) = (x.shape[2], x.shape[3])
        guard views.count == n, x.rank == 4, x.shape[0] == n else {
            throw TrainingError.invalidSetting("CGC needs images [N, C, H, W] with N labels and N views; found \(x.shape), \(n) labels, \(views.count) views")
        }
        let clean = x.detached()
        let augmented = try Tensor.concatenate((0..<n).map { try views[$0].apply(clean.sliced(axis: 0, $0..<($0 + 1))) }, axis: 0)
        let pass = ForwardPass(capturing: [layer])
        let (logits, stats) = try model.trainingLogits(Tensor.concatenate([clean, augmented], axis: 0), parameters: parameters, pass: pass)
        guard let a = pass.captured[layer] else { throw TrainingError.invalidSetting("\(model.name) has no layer \(layer)") }
        let predicted = try ContrastiveGradCAM.predictions(logits.sliced(axis: 0, 0..<n))
        let normalised = try ContrastiveGradCAM.maps(logits, a, classes: predicted + predicted, height: h, width: w, createGraph: true)
        let k = try Tensor.concatenate((0..<n).map { try views[$0].apply(normalised.sliced(axis: 0, $0..<($0 + 1))) }, axis: 0)
        let q = try unit(normalised.sliced(axis: 0, n..<(2 * n)).flattened()), kk = try unit(k.flattened())
        let positives = try (q * kk).sum(axes: [1], keepDims: true)
        var eye = [Float](repeating: 0, count: n * n)
        for i in 0..<n { eye[i * n + i] = 1 }
        let identity = try Tensor(eye, shape: [n, n])
        let similarities = try Tensor.matmul(q, q, transposeB: true) * (1 - identity) + positives * identity
        let contrast = try (similarities / temperature).crossEntropy(labels: Array(0..<n))
        let ce = try logits.crossEntropy(labels: labels + labels) * 2
        return (try ce + contrast * lambda, logits, stats)
    }

    /// Arg-max class of each row of logits [N, C].
    static func predictions(_ logits: Tensor) throws -> [Int] {
        let values = logits.scalars, c = logits.shape[1]
        return (0..<logits.shape[0]).map { i in (0..<c).max { values[i * c + $0] < values[i * c + $1] }! }
    }

    /// CGC's Grad-CAM maps [N, 1, H, W] of `classes` from activation `a` of the pass giving `logits`:
    /// ReLU(Σ_k ∂y/∂A_k ⊙ A_k), bilinearly upsampled, divided by its sum (+1e-8), +1e-8.
    static func maps(_ logits: Tensor, _ a: Tensor, classes: [Int], height: Int, width: Int, createGraph: Bool) throws -> Tensor {
        let g = try gradient(of: logits.picking(classes).sum(), wrt: [a], createGraph: createGraph)[0]
        let maps = try (g * a).sum(axes: [1], keepDims: true).relu().resizedBilinear(height: height, width: width)
        return try maps / (maps.sum(axes: [1, 2, 3], keepDims: true) + 1e-8) + 1e-8
    }

    /// Mean cosine between GC(view(x)) and view(GC(x)) over `images` (the model in inference mode, its predicted
    /// classes, one random view per image from `seed`) — the consistency CGC trains for.
    public func meanConsistency(_ model: any Classifier, images: Tensor, seed: UInt64) throws -> Double {
        var rng = SeededRNG(seed: seed)
        let n = images.shape[0], (h, w) = (images.shape[2], images.shape[3])
        let views = (0..<n).map { _ in ViewTransform.random(height: h, width: w, scale: minimumScale...1, rng: &rng) }
        let clean = images.detached()
        let augmented = try Tensor.concatenate((0..<n).map { try views[$0].apply(clean.sliced(axis: 0, $0..<($0 + 1))) }, axis: 0)
        func camOf(_ x: Tensor, _ classes: [Int]?) throws -> (Tensor, [Int]) {
            let pass = ForwardPass(capturing: [layer])
            let logits = try model.forward(x.requiringGradient(), pass: pass)
            guard let a = pass.captured[layer] else { throw TrainingError.invalidSetting("\(model.name) has no layer \(layer)") }
            let c = try classes ?? ContrastiveGradCAM.predictions(logits)
            return (try ContrastiveGradCAM.maps(logits, a, classes: c, height: h, width: w, createGraph: false), c)
        }
        let (original, classes) = try camOf(clean, nil)
        let (viewed, _) = try camOf(augmented, classes)
        let k = try Tensor.concatenate((0..<n).map { try views[$0].apply(original.sliced(axis: 0, $0..<($0 + 1))) }, axis: 0)
        let c = try GradientAlignment.cosines(viewed, k).scalars
        return c.reduce(0) { $0 + Double($1) } / Double(max(n, 1))
    }

    private func unit(_ v: Tensor) throws -> Tensor { try v / (v.squared().sum(axes: [1], keepDims: true) + 1e-20).sqrt() }
}
