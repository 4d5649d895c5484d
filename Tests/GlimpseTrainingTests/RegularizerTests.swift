import Foundation
import GlimpseCore
import GlimpseModels
import Testing
import GlimpseTraining

/// Training defenses and interpretability regularizers: gradients with respect to the weights against finite
/// differences, seeded reproducible runs that resume exactly.
@Suite struct RegularizerTests {
    /// A tiny in-code network on 4×4 grey images: conv 3×3 1→2 (padding 1, bias), ReLU, linear 32→4. Its ReLU
    /// pre-activations are kept at least 0.02 from 0, so a 1e-3 weight step never crosses a kink.
    final class TinyNet: CAMTrainableClassifier {
        let name = "tiny-test-net", inputSize = 4, inputChannels = 1, classCount = 4, minimumInputSize = 4
        let layerPaths = ["conv", "relu", "fc"], defaultCAMLayer = "relu"
        var parameters: [String: Tensor]
        let trainableKeys = ["conv.weight", "conv.bias", "fc.weight", "fc.bias"]

        init(seed: UInt64) {
            var rng = SeededRNG(seed: seed)
            parameters = ["conv.weight": Tensor.normal([2, 1, 3, 3], std: 0.7, rng: &rng), "conv.bias": Tensor.normal([2], std: 0.1, rng: &rng),
                          "fc.weight": Tensor.normal([4, 32], std: 0.5, rng: &rng), "fc.bias": Tensor.normal([4], std: 0.1, rng: &rng)]
        }

        func preActivation(_ x: Tensor, _ p: [String: Tensor]) throws -> Tensor {
            try Tensor.conv2d(x, filter: p["conv.weight"]!, bias: p["conv.bias"]!, options: .init(stride: 1, padding: 1))
        }

        func trainingLogits(_ x: Tensor, parameters p: [String: Tensor]) throws -> (logits: Tensor, statistics: [String: BatchStatistics]) {
            (try Tensor.linear(preActivation(x, p).relu().flattened(), weight: p["fc.weight"]!, bias: p["fc.bias"]!), [:])
        }

        func trainingLogits(_ x: Tensor, parameters p: [String: Tensor], pass: ForwardPass) throws -> (logits: Tensor, statistics: [String: BatchStatistics]) {
            (try Tensor.linear(pass.tap("relu", preActivation(x, p).relu()).flattened(), weight: p["fc.weight"]!, bias: p["fc.bias"]!), [:])
        }

        func forward(_ x: Tensor, pass: ForwardPass) throws -> Tensor { try trainingLogits(x, parameters: parameters, pass: pass).logits }
        func normalizedInput(_ x: Tensor) throws -> Tensor { x }
        func imageFromNormalized(_ x: Tensor) throws -> Tensor { x }
        func parameterCount(of path: String) -> Int { parameters.filter { $0.key.hasPrefix(path + ".") }.values.reduce(0) { $0 + $1.count } }
        func kind(of path: String) -> String { path }
    }

    /// The tiny net and a batch of two images whose pre-activations are all at least 0.02 from 0.
    static func tiny() throws -> (TinyNet, Tensor, [Int]) {
        var rng = SeededRNG(seed: 5)
        for seed in UInt64(0)..<200 {
            let model = TinyNet(seed: seed)
            let x = Tensor.uniform([2, 1, 4, 4], rng: &rng)
            if try model.preActivation(x, model.parameters).scalars.allSatisfy({ abs($0) > 0.02 }) { return (model, x, [0, 3]) }
        }
        throw TrainingError.invalidSetting("no kink-free tiny net found")
    }

    /// Central differences (step 1e-3, Double sums) of `loss` against the tracked gradient of `analytic` (default:
    /// `loss`), over every weight.
    static func checkWeightGradient(_ model: TinyNet, analytic: (([String: Tensor]) throws -> Tensor)? = nil,
                                    _ loss: ([String: Tensor]) throws -> Tensor) throws {
        var tracked = model.parameters
        for key in model.trainableKeys { tracked[key] = model.parameters[key]!.requiringGradient() }
        let grads = try gradient(of: analytic.map { try $0(tracked) } ?? loss(tracked), wrt: model.trainableKeys.map { tracked[$0]! })
        let eps: Float = 1e-3
        var checked = 0
        for (k, key) in model.trainableKeys.enumerated() {
            let n = model.parameters[key]!.count
            for i in 0..<n {
                func value(_ delta: Float) throws -> Double {
                    var p = model.parameters
                    p[key]!.withUnsafeMutableBufferPointer { $0[i] += delta }
                    return Double(try loss(p).scalar)
                }
                let numeric = (try value(eps) - value(-eps)) / Double(2 * eps)
                let analytic = Double(grads[k].scalars[i])
                #expect(abs(analytic - numeric) <= 2e-3 + 2e-2 * abs(numeric), "\(key)[\(i)]: analytic \(analytic) vs numeric \(numeric)")
                checked += 1
            }
        }
        #expect(checked > 50)
    }

    @Test func gradientAlignmentWeightGradientMatchesFiniteDifferences() throws {
        let (model, x, labels) = try Self.tiny()
        // λ = 1 so that the alignment term is not hidden by the cross-entropy; the guided target is held constant,
        // as in training (stop-gradient).
        let alignment = try GradientAlignment(lambda: 1)
        let target = try GradientAlignment.guidedGradient(model, x, labels: labels, parameters: model.parameters)
        let ce = { (p: [String: Tensor]) in try model.trainingLogits(x, parameters: p).logits.crossEntropy(labels: labels) }
        let term = try alignment.loss(model, x, labels: labels, parameters: model.parameters, guidedTarget: target).loss.scalar - ce(model.parameters).scalar
        #expect(term > 0.01, "the alignment term must be non-trivial for the check to mean something: \(term)")
        try Self.checkWeightGradient(model) { p in try alignment.loss(model, x, labels: labels, parameters: p, guidedTarget: target).loss }
    }

    @Test func adversarialWeightGradientIsTheGradientAtTheAttackedBatch() throws {
        // Danskin: the training gradient is the cross-entropy's gradient at the (constant) adversarial batch.
        let (model, x, labels) = try Self.tiny()
        let adversarial = try AdversarialTraining(epsilon: 0.1, alpha: 0.03, steps: 4, fraction: 0.5)
        var rng = SeededRNG(seed: 9)
        let mixed = try adversarial.mixedBatch(model, x, labels: labels, parameters: model.parameters, rng: &rng)
        let cleanLoss = try model.trainingLogits(x, parameters: model.parameters).logits.crossEntropy(labels: labels).scalar
        let attackedLoss = try model.trainingLogits(mixed, parameters: model.parameters).logits.crossEntropy(labels: labels).scalar
        #expect(attackedLoss > cleanLoss)
        let (xs, ms) = (x.scalars, mixed.scalars)
        let half = xs.count / 2
        #expect(ms[half...] == xs[half...], "the second half stays clean")
        #expect(zip(xs, ms).allSatisfy { abs($0 - $1) <= 0.1 + 1e-6 && $1 >= 0 && $1 <= 1 })
        #expect(zip(xs, ms).contains { $0 != $1 })
        try Self.checkWeightGradient(model, analytic: { p in
            var again = SeededRNG(seed: 9)
            return try Regularizer.adversarial(adversarial).step(model, x, labels: labels, parameters: p, rng: &again).loss
        }) { p in try model.trainingLogits(mixed, parameters: p).logits.crossEntropy(labels: labels) }
    }

    @Test func contrastiveGradCAMWeightGradientMatchesFiniteDifferences() throws {
        // The views (crops and flips) are held fixed, as within one training step.
        let (model, x, labels) = try Self.tiny()
        let cgc = try ContrastiveGradCAM(lambda: 1, temperature: 0.5, layer: "relu")
        let views = [ViewTransform(top: 0, left: 1, height: 3, width: 3, flip: true), ViewTransform(top: 1, left: 0, height: 3, width: 4, flip: false)]
        let a = try x.sliced(axis: 0, 0..<1), viewed = try views[0].apply(a)
        #expect(viewed.shape == [1, 1, 4, 4] && viewed.scalars != a.scalars)
        try Self.checkWeightGradient(model) { p in try cgc.loss(model, x, labels: labels, parameters: p, views: views).loss }
        #expect(throws: TrainingError.self) { try cgc.loss(model, x, labels: labels, parameters: model.parameters, views: [views[0]]) }
        #expect(throws: TrainingError.self) { try ContrastiveGradCAM(layer: "missing").loss(model, x, labels: labels, parameters: model.parameters, views: views) }
    }

    @Test func badSettingsAreTypedErrors() {
        #expect(throws: TrainingError.self) { try AdversarialTraining(epsilon: 0) }
        #expect(throws: TrainingError.self) { try AdversarialTraining(steps: 0) }
        #expect(throws: TrainingError.self) { try AdversarialTraining(fraction: 1.5) }
        #expect(throws: TrainingError.self) { try GradientAlignment(lambda: -1) }
        #expect(throws: TrainingError.self) { try GradientAlignment(lambda: .nan) }
        #expect(throws: TrainingError.self) { try ContrastiveGradCAM(temperature: 0) }
        #expect(throws: TrainingError.self) { try ModelDoctor(alpha: -1, channelMask: [[1, 0]]) }
        #expect(throws: TrainingError.self) { try ModelDoctor(channelMask: [[1, 0], [1, 0, 1]]) }
        #expect(throws: TrainingError.self) { try ModelDoctor(channelMask: [[0.5, 1]]) }
        #expect(throws: TrainingError.self) { try ModelDoctor(channelMask: [[], []]) }
    }

    /// A mask for the tiny net (4 classes × 2 channels of `relu`) under which every term of the constraint is active.
    static let tinyDoctor = try! ModelDoctor(alpha: 1, layer: "relu", channelMask: [[1, 0], [0, 1], [1, 1], [0, 1]])

    @Test func modelDoctorWeightGradientMatchesFiniteDifferences() throws {
        // The rival classes y′ are recomputed at every perturbed point; the check is meaningful as long as no
        // perturbation reorders the top two logits, which holds for this net and batch (checked below).
        let (model, x, labels) = try Self.tiny()
        let logits = try model.trainingLogits(x, parameters: model.parameters).logits.scalars
        for i in 0..<2 {
            let row = logits[(i * 4)..<(i * 4 + 4)].sorted(by: >)
            #expect(row[0] - row[1] > 0.01, "top two logits too close for a finite-difference check")
        }
        let ce = try model.trainingLogits(x, parameters: model.parameters).logits.crossEntropy(labels: labels).scalar
        let term = try Self.tinyDoctor.loss(model, x, labels: labels, parameters: model.parameters).loss.scalar - ce
        #expect(term > 0.1, "the constraint must be non-trivial for the check to mean something: \(term)")
        try Self.checkWeightGradient(model) { p in try Self.tinyDoctor.loss(model, x, labels: labels, parameters: p).loss }
        #expect(throws: TrainingError.self) { try ModelDoctor(layer: "missing", channelMask: [[1, 0]]).loss(model, x, labels: labels, parameters: model.parameters) }
        #expect(throws: TrainingError.self) { try ModelDoctor(layer: "relu", channelMask: [[1, 0, 1]]).loss(model, x, labels: labels, parameters: model.parameters) }
    }

    @Test func modelDoctorSpatialConstraintWeightGradientMatchesFiniteDifferences() throws {
        let (model, x, labels) = try Self.tiny()
        let spatial = try ModelDoctor(alpha: 1, layer: "relu", channelMask: Self.tinyDoctor.channelMask, beta: 2, foregroundThreshold: 0.5)
        let background = try 1 - spatial.foreground(x, height: 4, width: 4)
        #expect(background.scalars.contains(0) && background.scalars.contains(1), "the images must have both foreground and background")
        let withSpatial = try spatial.loss(model, x, labels: labels, parameters: model.parameters).loss.scalar
        let without = try Self.tinyDoctor.loss(model, x, labels: labels, parameters: model.parameters).loss.scalar
        #expect(withSpatial - without > 0.1, "the spatial term must be non-trivial: \(withSpatial - without)")
        try Self.checkWeightGradient(model) { p in try spatial.loss(model, x, labels: labels, parameters: p).loss }
    }

    @Test func modelDoctorForegroundAndSettings() throws {
        let doctor = try ModelDoctor(channelMask: [[1, 0], [0, 1]], beta: 1, foregroundThreshold: 0.25)
        // One 4×4 image whose left half is bright: the foreground at 2×2 is the left column.
        let image = try Tensor((0..<16).map { Float($0 % 4 < 2 ? 0.9 : 0.1) }, shape: [1, 1, 4, 4])
        #expect(try doctor.foreground(image, height: 2, width: 2).scalars == [1, 0, 1, 0])
        #expect(try doctor.foreground(image, height: 4, width: 4).scalars == image.scalars.map { $0 > 0.25 ? 1 : 0 })
        #expect(throws: TrainingError.self) { try ModelDoctor(channelMask: [[1, 0]], beta: -1) }
        #expect(throws: TrainingError.self) { try ModelDoctor(channelMask: [[1, 0]], beta: .nan) }
        #expect(throws: TrainingError.self) { try ModelDoctor(channelMask: [[1, 0]], foregroundThreshold: 1) }
        // A training state written before the spatial constraint existed decodes with β = 0.
        let old = #"{"alpha": 10, "layer": "conv3", "channelMask": [[1, 0], [0, 1]]}"#
        let decoded = try JSONDecoder().decode(ModelDoctor.self, from: Data(old.utf8))
        #expect(decoded == (try ModelDoctor(channelMask: [[1, 0], [0, 1]])))
        #expect(try JSONDecoder().decode(ModelDoctor.self, from: JSONEncoder().encode(doctor)) == doctor)
    }

    @Test func modelDoctorLossAndDiagnosisMatchHandComputation() throws {
        // In the tiny net ∂z_c/∂relu = fc.weight[c] (channel-major), whatever the image: Ĝ_k(z_c) = Σ_j ReLU(W[c, 16k + j])/B.
        let (model, x, labels) = try Self.tiny()
        let w = model.parameters["fc.weight"]!.scalars
        func g(_ c: Int, _ k: Int) -> Double { (0..<16).reduce(0.0) { $0 + Double(max(w[c * 32 + k * 16 + $1], 0)) } }
        let logits = try model.trainingLogits(x, parameters: model.parameters).logits
        let rivals = ModelDoctor.rivalClasses(logits, labels: labels)
        let mask = Self.tinyDoctor.channelMask
        var expected = 0.0
        for (b, y) in labels.enumerated() {
            for k in 0..<2 { expected += (g(rivals[b], k) * Double(mask[rivals[b]][k]) + g(y, k) * Double(1 - mask[y][k])) / 2 }
        }
        expected /= 2
        let ce = Double(try logits.crossEntropy(labels: labels).scalar)
        let loss = Double(try Self.tinyDoctor.loss(model, x, labels: labels, parameters: model.parameters).loss.scalar)
        #expect(abs(loss - ce - expected) < 1e-5 * max(1, expected), "loss \(loss - ce) vs hand \(expected)")
        #expect(ModelDoctor.rivalClasses(try Tensor([0, 3, 1, 2, 5, 1, 0, 0], shape: [2, 4]), labels: [1, 2]) == [3, 0])

        // Diagnosis on images labelled with the net's own predictions: per class, the channel with the larger Σ ReLU(W)
        // (min-max over two channels gives 0 and 1); classes never predicted are not diagnosed.
        var rng = SeededRNG(seed: 3)
        let images = Tensor.uniform([40, 1, 4, 4], rng: &rng)
        let scores = try model.logits(images).scalars
        let predicted = (0..<40).map { i in (0..<4).max { scores[i * 4 + $0] < scores[i * 4 + $1] }! }
        let data = try LabeledImages(pixels: images.scalars, labels: predicted, channels: 1, height: 4, width: 4, classCount: 4)
        let diagnosed = try ModelDoctor.diagnose(model, on: data, layer: "relu", imagesPerClass: 5)
        for c in 0..<4 {
            if predicted.contains(c) { #expect(diagnosed[c] == (g(c, 0) > g(c, 1) ? [1, 0] : [0, 1]), "class \(c)") } else { #expect(diagnosed[c].isEmpty) }
        }
        #expect(Set(predicted).count >= 2)
        #expect(throws: TrainingError.self) { try ModelDoctor.diagnose(model, on: data, layer: "relu", imagesPerClass: 0) }
        #expect(throws: TrainingError.self) { try ModelDoctor.diagnose(model, on: data, layer: "nope") }
    }

    static let regularizers: [Regularizer] = [
        .adversarial(try! AdversarialTraining(epsilon: 0.1, alpha: 0.05, steps: 2, fraction: 0.5)),
        .gradientAlignment(try! GradientAlignment(lambda: 0.5)),
        .contrastiveGradCAM(try! ContrastiveGradCAM()),
        .modelDoctor(try! ModelDoctor(channelMask: (0..<10).map { c in (0..<8).map { Float(($0 + c) % 2) } })),
    ]

    @Test(arguments: regularizers)
    func regularizedRunIsReproducibleAndResumesExactly(_ regularizer: Regularizer) throws {
        let data = try ResumeTests.data()
        var config = try ResumeTests.config(.adamW())
        let plain = try ResumeTests.model()
        try ClassifierTraining.train(plain, on: data, config: config, folder: nil)
        config.regularizer = regularizer
        let straight = try ResumeTests.model(), again = try ResumeTests.model()
        let full = try ClassifierTraining.train(straight, on: data, config: config, folder: nil)
        try ClassifierTraining.train(again, on: data, config: config, folder: nil)
        let keys = straight.parameters.keys.sorted()
        #expect(keys.allSatisfy { again.parameters[$0]!.scalars == straight.parameters[$0]!.scalars }, "same seed, same weights")
        #expect(keys.contains { plain.parameters[$0]!.scalars != straight.parameters[$0]!.scalars }, "the regularizer changes training")

        let folder = try Support.temporaryFolder("regularizer-resume")
        defer { try? FileManager.default.removeItem(at: folder) }
        try ClassifierTraining.train(try ResumeTests.model(), on: data, config: config, folder: folder, stopAfterStep: 5)
        let resumedModel = try ResumeTests.model()
        let resumed = try ClassifierTraining.train(resumedModel, on: data, config: config, folder: folder, resume: true)
        #expect(resumed.step == full.step && resumed.history.map(\.loss) == full.history.map(\.loss))
        for key in keys { #expect(resumedModel.parameters[key]!.scalars == straight.parameters[key]!.scalars, "parameter \(key) differs after resume") }
        // Resuming with another regularizer is refused.
        var other = config
        other.regularizer = Regularizer.none
        #expect(throws: TrainingError.self) { try ClassifierTraining.train(try ResumeTests.model(), on: data, config: other, folder: folder, resume: true) }
    }
}
