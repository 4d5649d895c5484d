import GlimpseCore
import GlimpseModels

/// Model Doctor's channel constraint (Feng et al., "Model Doctor: A Simple Gradient Aggregation Strategy for
/// Diagnosing and Treating CNN Classifiers", AAAI 2022).
///
/// Diagnosis (`diagnose`, once, on a trained model): for each class, the gradients ReLU(∂z_c/∂A) of the class logit at
/// `layer` are summed over the class's most confidently correct training images and over positions, min-max
/// normalised over the channels, and thresholded at θ: `channelMask[c][k] = 1` marks the channels class c relies on.
///
/// Treatment (the training loss): with Ĝ_k(z) = Σ_ij ReLU(∂z̄/∂A_kij), z̄ the batch mean of the chosen logits (as the
/// reference code, which differentiates −NLLLoss of the raw logits), and y′ the runner-up class when the prediction
/// is right or the wrongly predicted class otherwise,
/// L = CE + α·(1/B)·Σ_b [Σ_k Ĝ_k(z_y′)·M[y′][k] + Σ_k Ĝ_k(z_y)·(1 − M[y][k])]:
/// the true class's gradient is pushed out of the channels it should not use, the rival class's out of the ones it
/// would steal. Gradients are taken with `createGraph`, so the loss is differentiable in the weights.
/// An empty mask row marks a class that was not diagnosed (no image of it): its terms are left out.
///
/// The spatial constraint (β > 0) adds β·(1/B)·Σ_b Σ_kij |(1 − F_b,ij)·∂z_y_b/∂A_b,kij|: the true class's gradient is
/// pushed off the background. The paper draws the foreground F by hand (labelme) for low-confidence images and sets
/// β = 0 on small data sets; here F comes from the image itself — the pixels whose channel mean exceeds
/// `foregroundThreshold`, resized to A's size (bilinear) and cut at 0.5 — which suits objects on a plain dark
/// background such as Fashion-MNIST, and is no substitute for drawn masks on natural photos.
public struct ModelDoctor: Codable, Sendable, Equatable {
    /// Weight α of the channel constraint (the reference CIFAR setting: 10).
    public var alpha: Float
    /// The layer whose output is A (the reference uses the last convolution's output).
    public var layer: String
    /// Per class, a 0/1 weight per channel of `layer` (empty: class not diagnosed).
    public var channelMask: [[Float]]
    /// Weight β of the spatial constraint (0: off, as the paper on small data sets).
    public var beta: Float
    /// Input intensity (channel mean, images in [0, 1]) above which a pixel is foreground for the spatial constraint.
    public var foregroundThreshold: Float

    public init(alpha: Float = 10, layer: String = "conv3", channelMask: [[Float]], beta: Float = 0,
                foregroundThreshold: Float = 0.1) throws {
        self.alpha = alpha; self.layer = layer; self.channelMask = channelMask
        self.beta = beta; self.foregroundThreshold = foregroundThreshold
        try validate()
    }

    private enum CodingKeys: String, CodingKey { case alpha, layer, channelMask, beta, foregroundThreshold }

    /// Decodes checkpoints written before the spatial constraint existed with β = 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(alpha: c.decode(Float.self, forKey: .alpha), layer: c.decode(String.self, forKey: .layer),
                      channelMask: c.decode([[Float]].self, forKey: .channelMask),
                      beta: c.decodeIfPresent(Float.self, forKey: .beta) ?? 0,
                      foregroundThreshold: c.decodeIfPresent(Float.self, forKey: .foregroundThreshold) ?? 0.1)
    }

    func validate() throws {
        guard alpha >= 0, alpha.isFinite else { throw TrainingError.invalidSetting("Model Doctor weight α must be finite and ≥ 0, found \(alpha)") }
        guard beta >= 0, beta.isFinite else { throw TrainingError.invalidSetting("Model Doctor weight β must be finite and ≥ 0, found \(beta)") }
        guard foregroundThreshold.isFinite, (0..<1).contains(foregroundThreshold) else {
            throw TrainingError.invalidSetting("Model Doctor's foreground threshold must be in [0, 1), found \(foregroundThreshold)")
        }
        let widths = Set(channelMask.map(\.count).filter { $0 > 0 })
        guard !channelMask.isEmpty, widths.count == 1 else {
            throw TrainingError.invalidSetting("Model Doctor needs a channel mask with one row per class, diagnosed rows of one width (found widths \(widths.sorted()))")
        }
        guard channelMask.allSatisfy({ $0.allSatisfy { $0 == 0 || $0 == 1 } }) else {
            throw TrainingError.invalidSetting("Model Doctor's channel mask must hold only 0 and 1")
        }
    }

    func step(_ model: any TrainableClassifier, _ x: Tensor, labels: [Int], parameters: [String: Tensor]) throws -> StepOutput {
        let (loss, logits, stats) = try self.loss(model, x, labels: labels, parameters: parameters)
        return StepOutput(loss: loss, correct: ClassifierTraining.correctCount(logits, labels), seen: labels.count, statistics: stats)
    }

    /// CE + α·L_channel (+ β·L_spatial) for the batch `x` from the tracked `parameters`; also the logits and batch
    /// statistics.
    public func loss(_ model: any TrainableClassifier, _ x: Tensor, labels: [Int],
                     parameters: [String: Tensor]) throws -> (loss: Tensor, logits: Tensor, statistics: [String: BatchStatistics]) {
        guard let model = model as? any CAMTrainableClassifier else {
            throw TrainingError.invalidSetting("Model Doctor needs a model whose training pass can tap layers; \(model.name) cannot")
        }
        let pass = ForwardPass(capturing: [layer])
        let (logits, stats) = try model.trainingLogits(x, parameters: parameters, pass: pass)
        guard let a = pass.captured[layer] else { throw TrainingError.invalidSetting("\(model.name) has no layer \(layer)") }
        try checkShape(a, classes: logits.shape[1])
        let rivals = Self.rivalClasses(logits, labels: labels)
        let n = Float(labels.count)
        let rival = try Self.channelGradients(logits, a, classes: rivals, scale: 1 / n, createGraph: true)
        let ownGradient = try Self.logitGradient(logits, a, classes: labels, scale: 1 / n, createGraph: true)
        let own = try Self.channelSums(ownGradient)
        let rivalWeights = try weights(rivals, inverted: false), ownWeights = try weights(labels, inverted: true)
        let constraint = try ((rival * rivalWeights).sum() + (own * ownWeights).sum()) / n
        var total = try logits.crossEntropy(labels: labels) + constraint * alpha
        if beta > 0 {
            let background = try 1 - foreground(x, height: a.shape[2], width: a.shape[3])
            // ownGradient is (1/B)·∂z_y/∂A per image, so its sum is the batch mean of the per-image sums.
            total = try total + (ownGradient.abs() * background).sum() * beta
        }
        return (total, logits, stats)
    }

    /// F per image at `height`×`width`, [N, 1, height, width] of 0/1: the channel mean of x above
    /// `foregroundThreshold`, resized (bilinear) and cut at 0.5.
    public func foreground(_ x: Tensor, height: Int, width: Int) throws -> Tensor {
        guard x.rank == 4 else { throw TrainingError.invalidSetting("Model Doctor's spatial constraint needs images [N, C, H, W], found \(x.shape)") }
        return try withoutGradient {
            let above = try x.mean(axes: [1], keepDims: true).scalars.map { $0 > foregroundThreshold ? Float(1) : 0 }
            let full = try Tensor(above, shape: [x.shape[0], 1, x.shape[2], x.shape[3]])
            let resized = x.shape[2] == height && x.shape[3] == width ? full : try full.resizedBilinear(height: height, width: width)
            return try Tensor(resized.scalars.map { $0 >= 0.5 ? 1 : 0 }, shape: resized.shape)
        }
    }

    /// y′ per row of logits [N, C]: the second-ranked class when the top-1 class is the label, else the top-1 class.
    public static func rivalClasses(_ logits: Tensor, labels: [Int]) -> [Int] {
        let v = logits.scalars, c = logits.shape[1]
        return labels.enumerated().map { i, label in
            let ranked = (0..<c).sorted { v[i * c + $0] > v[i * c + $1] || (v[i * c + $0] == v[i * c + $1] && $0 < $1) }
            return ranked[0] == label ? ranked[1] : ranked[0]
        }
    }

    /// Σ_ij ReLU(∂(scale·Σ_b z_b,classes[b])/∂A) per example and channel: [N, C_A].
    static func channelGradients(_ logits: Tensor, _ a: Tensor, classes: [Int], scale: Float, createGraph: Bool) throws -> Tensor {
        try channelSums(logitGradient(logits, a, classes: classes, scale: scale, createGraph: createGraph))
    }

    /// ∂(scale·Σ_b z_b,classes[b])/∂A, A's shape.
    static func logitGradient(_ logits: Tensor, _ a: Tensor, classes: [Int], scale: Float, createGraph: Bool) throws -> Tensor {
        try gradient(of: logits.picking(classes).sum() * scale, wrt: [a], createGraph: createGraph)[0]
    }

    /// Σ_ij ReLU(g) per example and channel: [N, C_A].
    static func channelSums(_ g: Tensor) throws -> Tensor {
        try g.relu().sum(axes: Array(2..<g.rank))
    }

    /// [N, C_A]: the mask rows of `classes` (1 − mask when `inverted`), zero rows for classes not diagnosed.
    func weights(_ classes: [Int], inverted: Bool) throws -> Tensor {
        let width = channelMask.first { !$0.isEmpty }!.count
        var values: [Float] = []
        values.reserveCapacity(classes.count * width)
        for c in classes {
            let row = channelMask[c]
            values += row.isEmpty ? [Float](repeating: 0, count: width) : (inverted ? row.map { 1 - $0 } : row)
        }
        return try Tensor(values, shape: [classes.count, width])
    }

    func checkShape(_ a: Tensor, classes: Int) throws {
        let width = channelMask.first { !$0.isEmpty }!.count
        guard classes >= 2 else { throw TrainingError.invalidSetting("Model Doctor needs at least two classes (a runner-up class), found \(classes)") }
        guard a.rank >= 2, a.shape[1] == width, classes == channelMask.count else {
            throw TrainingError.invalidSetting("Model Doctor's mask is \(channelMask.count) classes × \(width) channels; the model has \(classes) classes and \(layer) is \(a.shape)")
        }
    }
}
