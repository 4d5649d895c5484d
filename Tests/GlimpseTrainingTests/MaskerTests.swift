import Foundation
import GlimpseCore
import GlimpseModels
import GlimpseSaliency
import Testing
import GlimpseTraining

/// The masking model on a small random Fashion-MNIST CNN: shapes, range, the rts saliency entry, save/load,
/// the gradient with respect to the input, and a resumable training run.
@Suite struct MaskerTests {
    static func setup(maskScale: Int = 2) throws -> (FashionCNN, MaskerSpec) {
        let cnn = try FashionCNN(stateDict: FashionCNN.initialStateDict(widths: [4, 6, 8], seed: 1))
        var spec = try MaskerSpec.fashionMNIST(widths: cnn.widths, maskScale: maskScale)
        spec.decoderWidths = maskScale == 1 ? [4, 4] : [4]
        return (cnn, spec)
    }

    @Test func fullResolutionMaskHasTheInputsGrid() throws {
        let (cnn, spec) = try Self.setup(maskScale: 1)
        #expect(spec.layers == ["relu3", "relu2", "relu1"] && spec.layerChannels == [8, 6, 4])
        #expect(spec.shapes().contains { $0.0 == "up1.fuse.weight" && $0.1 == [4, 8, 3, 3] })
        #expect(try MaskerSpec.fashionMNIST(widths: cnn.widths, maskScale: 2) == MaskerSpec.fashionMNIST(widths: cnn.widths))
        #expect(throws: TrainingError.self) { try MaskerSpec.fashionMNIST(maskScale: 4) }
        let masker = try MaskingModel(spec: spec, classifier: cnn, parameters: spec.initialParameters(seed: 3))
        var rng = SeededRNG(seed: 4)
        let x = Tensor.uniform([2, 1, 28, 28], rng: &rng)
        let native = try masker.nativeMasks(features: masker.features(x), classes: [1, 8])
        #expect(native.shape == [2, 1, 28, 28] && native.scalars.allSatisfy { (0...1).contains($0) })
        // No resampling at full resolution: the mask is the network's output itself.
        #expect(try masker.masks(x, classes: [1, 8]).scalars == native.scalars)
        // The half-resolution masker's own grid is 14².
        let (_, half) = try Self.setup()
        let halfMasker = try MaskingModel(spec: half, classifier: cnn, parameters: half.initialParameters(seed: 3))
        #expect(try halfMasker.nativeMasks(features: halfMasker.features(x), classes: [1, 8]).shape == [2, 1, 14, 14])
    }

    @Test func masksAreInZeroOneAndRTSUsesThem() throws {
        let (cnn, spec) = try Self.setup()
        let masker = try MaskingModel(spec: spec, classifier: cnn, parameters: spec.initialParameters(seed: 3))
        var rng = SeededRNG(seed: 4)
        let x = Tensor.uniform([3, 1, 28, 28], rng: &rng)
        let m = try masker.masks(x, classes: [0, 5, 9])
        #expect(m.shape == [3, 1, 28, 28] && m.scalars.allSatisfy { (0...1).contains($0) })
        // Different classes select different masks.
        let a = try masker.masks(x, classes: [0, 0, 0]).scalars, b = try masker.masks(x, classes: [7, 7, 7]).scalars
        #expect(a != b)
        var options = SaliencyMethod.Options()
        options.masker = masker
        let one = try x.sliced(axis: 0, 1..<2)
        let map = try SaliencyMethod.rts.map(model: cnn, one, target: .logit(5), options: options)
        // Same mask as in the batch (up to the summation order of batched convolutions).
        #expect(map.shape == [28, 28] && zip(map.scalars, m.scalars[784..<1568]).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(throws: SaliencyError.self) { try SaliencyMethod.rts.map(model: cnn, one, target: .logit(5)) }
        #expect(throws: SaliencyError.self) { try masker.saliencyMask(one, classIndex: 10) }
        // Round trip through the folder format.
        let folder = try Support.temporaryFolder("masker")
        defer { try? FileManager.default.removeItem(at: folder) }
        try masker.save(to: folder)
        let loaded = try MaskingModel.load(from: folder, classifier: cnn)
        #expect(try loaded.masks(x, classes: [0, 5, 9]).scalars == m.scalars)
        let lite = MaskerSpec.efficientNetLite0
        #expect(throws: TrainingError.self) { try MaskingModel(spec: lite, classifier: cnn, parameters: [:]) }
    }

    @Test func pixelShuffleFollowsPyTorch() throws {
        // [1, 8, 1, 2] → [1, 2, 2, 4]: out[c, i, 2w + j] = in[4c + 2i + j, 0, w].
        let x = try Tensor((0..<16).map(Float.init), shape: [1, 8, 1, 2])
        let y = try x.pixelShuffled()
        #expect(y.shape == [1, 2, 2, 4])
        for c in 0..<2 { for i in 0..<2 { for w in 0..<2 { for j in 0..<2 {
            #expect(y[0, c, i, 2 * w + j] == x[0, 4 * c + 2 * i + j, 0, w])
        } } } }
        #expect(throws: TrainingError.self) { try Tensor(zeros: [1, 3, 2, 2]).pixelShuffled() }
        // Gradient: a permutation, so the gradient of Σ y·R is R permuted back.
        var rng = SeededRNG(seed: 2)
        let r = Tensor.normal([1, 2, 2, 4], rng: &rng)
        let tracked = x.requiringGradient()
        let g = try gradient(of: (tracked.pixelShuffled() * r).sum(), wrt: [tracked])[0]
        for c in 0..<2 { for i in 0..<2 { for w in 0..<2 { for j in 0..<2 {
            #expect(g[0, 4 * c + 2 * i + j, 0, w] == r[0, c, i, 2 * w + j])
        } } } }
    }

    @Test(arguments: [2, 1]) func gradientWithRespectToTheInput(maskScale: Int) throws {
        let (cnn, spec) = try Self.setup(maskScale: maskScale)
        let masker = try MaskingModel(spec: spec, classifier: cnn, parameters: spec.initialParameters(seed: 3))
        var rng = SeededRNG(seed: 5)
        let x = Tensor.uniform([1, 1, 28, 28], rng: &rng)
        let weights = Tensor.normal([1, 1, 28, 28], rng: &rng)
        func objective(_ input: Tensor) throws -> Tensor { try (masker.masks(input, classes: [2]) * weights).sum() }
        let tracked = x.requiringGradient()
        let g = try gradient(of: objective(tracked), wrt: [tracked])[0]
        #expect(g.scalars.contains { $0 != 0 })
        // Central differences at the pixels with the largest gradients (ReLU/max/|·| kinks are avoided by a small step:
        // at 28² the mask ratio |a|/(|a|+|b|) has no upsampling to smooth it, and a step of 1e-3 crosses kinks).
        let order = g.scalars.indices.sorted { abs(g.scalars[$0]) > abs(g.scalars[$1]) }.prefix(6)
        for i in order {
            let eps: Float = 1e-4
            var plus = x, minus = x
            plus.withUnsafeMutableBufferPointer { $0[i] += eps }
            minus.withUnsafeMutableBufferPointer { $0[i] -= eps }
            let numeric = (Double(try objective(plus).scalar) - Double(try objective(minus).scalar)) / Double(2 * eps)
            #expect(abs(numeric - Double(g.scalars[i])) <= 2e-3 + 5e-2 * abs(numeric), "pixel \(i): analytic \(g.scalars[i]), numeric \(numeric)")
        }
    }

    @Test(arguments: [2, 1]) func trainingResumesExactlyAndReducesTheObjective(maskScale: Int) throws {
        let (cnn, spec) = try Self.setup(maskScale: maskScale)
        var rng = SeededRNG(seed: 8)
        let labels = (0..<64).map { _ in Int(rng.next() % 10) }
        let data = try LabeledImages(pixels: (0..<(64 * 784)).map { _ in rng.nextUniform() }, labels: labels, channels: 1,
                                     height: 28, width: 28, classCount: 10)
        let settings = MaskerTraining.Settings(phase1Epochs: 2, phase2Epochs: 3, batchSize: 16, seed: 1, augmentation: Augmentation(flip: true))
        let a = try Support.temporaryFolder("masker-a"), b = try Support.temporaryFolder("masker-b")
        defer { for f in [a, b] { try? FileManager.default.removeItem(at: f) } }
        let (straight, states) = try MaskerTraining.train(spec: spec, classifier: cnn, data: data, settings: settings, folder: a)
        #expect(states.map(\.step) == [8, 12])
        #expect(states[1].history.allSatisfy { $0.loss.isFinite })
        // On 64 random images the tiny 28² decoder's loss is noise-level; the reduction is asserted at the default scale.
        if maskScale == 2 { #expect(states[1].history.last!.loss < states[1].history.first!.loss) }
        // Interrupted in phase 2 after step 7, then resumed: the same masker.
        _ = try MaskerTraining.train(spec: spec, classifier: cnn, data: data, settings: settings, folder: b, stopAfterPhase2Step: 7)
        let resumed = try MaskerTraining.train(spec: spec, classifier: cnn, data: data, settings: settings, folder: b, resume: true).0
        for key in spec.shapes().map(\.0) { #expect(resumed.parameters[key]!.scalars == straight.parameters[key]!.scalars, "\(key)") }
    }

    /// The loss of the first phase-2 step (before any update: no phase 1, one batch per epoch) for an objective.
    static func firstStepLoss(_ objective: MaskerObjective) throws -> Double {
        let (cnn, spec) = try setup(maskScale: 1)
        var rng = SeededRNG(seed: 9)
        let labels = (0..<16).map { _ in Int(rng.next() % 10) }
        let data = try LabeledImages(pixels: (0..<(16 * 784)).map { _ in rng.nextUniform() }, labels: labels, channels: 1,
                                     height: 28, width: 28, classCount: 10)
        var settings = MaskerTraining.Settings(phase1Epochs: 0, phase2Epochs: 1, batchSize: 16, seed: 2, augmentation: Augmentation())
        settings.objective = objective
        let folder = try Support.temporaryFolder("masker-objective")
        defer { try? FileManager.default.removeItem(at: folder) }
        return try MaskerTraining.train(spec: spec, classifier: cnn, data: data, settings: settings, folder: folder).1[0].history[0].loss
    }

    @Test func destroyerWeightAreaPowerAndAlternativeReachTheObjective() throws {
        let reference = MaskerObjective()
        #expect(reference.destroyerWeight == 1 && reference.areaPower == 0.3 && reference.blurProbability == 0.5)
        func loss(_ change: (inout MaskerObjective) -> Void) throws -> Double {
            var o = reference
            change(&o)
            return try Self.firstStepLoss(o)
        }
        // The total is linear in the destroyer weight, and the destroyer hinge (margin 5) is positive.
        let (l0, l1, l3) = (try loss { $0.destroyerWeight = 0 }, try loss { _ in }, try loss { $0.destroyerWeight = 3 })
        #expect(l1 - l0 > 0.1 && abs((l3 - l1) - 2 * (l1 - l0)) < 1e-3 * abs(l3), "\(l0) \(l1) \(l3)")
        // With p = 1 the area term is 8·mean(m + ε): between 0 and 8(1 + ε) above the loss without it.
        let (p1, p1NoArea) = (try loss { $0.areaPower = 1 }, try loss { $0.areaPower = 1; $0.areaWeight = 0 })
        #expect(p1 - p1NoArea > 0 && p1 - p1NoArea < 8.01 && abs(p1 - l1) > 1e-6, "\(p1) \(p1NoArea) \(l1)")
        // Only blurred or only noise alternatives change the preserved/destroyed images; same setting, same loss.
        let (blur, noise) = (try loss { $0.blurProbability = 1 }, try loss { $0.blurProbability = 0 })
        #expect(blur != noise && blur != l1 && noise != l1)
        #expect(try loss { $0.blurProbability = 0 } == noise)
    }

    @Test func saliencyMetricBox() throws {
        var map = [Float](repeating: 0.1, count: 28 * 28)
        for y in 3...5 { for x in 10...12 { map[y * 28 + x] = 1 } }
        #expect(SaliencyMetric.box(map, height: 28, width: 28, threshold: 0.5) == (10, 3, 12, 5))
        #expect(SaliencyMetric.box(map, height: 28, width: 28, threshold: 0.05) == (0, 0, 27, 27))
        #expect(SaliencyMetric.box([], height: 28, width: 28, threshold: 0.5) == (0, 0, 27, 27))
        // A 3×3 box is 9/784 of the image: the area term is floored at 0.05.
        let (cnn, _) = try Self.setup()
        var rng = SeededRNG(seed: 1)
        let x = Tensor.uniform([1, 1, 28, 28], rng: &rng)
        let r = try SaliencyMetric.score(classifier: cnn, x: x, map: map, classIndex: 3, threshold: 0.5)
        #expect(abs(r.area - 9.0 / 784) < 1e-12)
        #expect(abs(r.score - (log(0.05) - log(r.probability))) < 1e-9)
    }
}
