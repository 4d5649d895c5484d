import Foundation
import GlimpseCore
import GlimpseFormats
import GlimpseImage
import GlimpseModels
import Testing
import GlimpseTraining

/// Fine-tuning of zoo models (the head, or whole networks) on an image folder built from the real sample photos.
@Suite struct FineTuningTests {
    static var photos: URL { Support.cache.appendingPathComponent("photos") }
    static var photosPresent: Bool { FileManager.default.fileExists(atPath: photos.appendingPathComponent("chelsea.png").path) }
    static let skip = Comment(rawValue: "needs the sample photos in ~/.cache/glimpse/photos (run scripts/setup.sh)")

    /// A tiny-cnn (28×28 grey, features relu2 → global average → fc) with seeded random weights.
    static func tinyWeights(seed: UInt64) -> StateDict {
        var rng = SeededRNG(seed: seed)
        var dict = StateDict()
        let shapes: [(String, [Int])] = [("conv1.weight", [8, 1, 3, 3]), ("conv1.bias", [8]), ("bn1.weight", [8]), ("bn1.bias", [8]),
                                         ("bn1.running_mean", [8]), ("bn1.running_var", [8]), ("conv2.weight", [16, 8, 3, 3]),
                                         ("conv2.bias", [16]), ("fc.weight", [10, 16]), ("fc.bias", [10])]
        for (key, shape) in shapes {
            let n = shape.reduce(1, *)
            let values: [Float] = key.hasSuffix("running_var") ? [Float](repeating: 1, count: n) : (0..<n).map { _ in 0.4 * rng.nextNormal() }
            dict.set(key, StoredTensor(shape: shape, values: values))
        }
        return dict
    }

    /// A folder with two class subfolders of four real photos each (copies), removed by the caller.
    static func photoFolder() throws -> URL {
        let folder = try Support.temporaryFolder("photo-folder")
        let files = try FileManager.default.contentsOfDirectory(atPath: photos.path).filter { $0.hasSuffix(".png") || $0.hasSuffix(".jpg") }.sorted()
        guard files.count >= 8 else { throw TrainingError.dataset("fewer than 8 sample photos in \(photos.path)") }
        for (i, file) in files.prefix(8).enumerated() {
            let dir = folder.appendingPathComponent(i % 2 == 0 ? "even" : "odd")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: photos.appendingPathComponent(file), to: dir.appendingPathComponent(file))
        }
        return folder
    }

    static func config(_ regularizer: Regularizer? = nil) throws -> TrainingConfig {
        var config = try TrainingConfig(epochs: 4, batchSize: 4, seed: 3, optimizer: .adamW(),
                                        schedule: LearningRateSchedule(base: 0.05, shape: .cosine(total: 8, minimum: 0)),
                                        augmentation: Augmentation(flip: true), checkpointEvery: 3)
        config.regularizer = regularizer
        return config
    }

    @Test func keptHeadGivesThePretrainedLogitsAndBadModelsAreTypedErrors() throws {
        let dict = Self.tinyWeights(seed: 1)
        let tuned = try FineTuning(model: "tiny-cnn", stateDict: dict)
        let backbone = try ModelZoo.build("tiny-cnn", stateDict: dict)
        var rng = SeededRNG(seed: 2)
        let x = Tensor.uniform([3, 1, 28, 28], rng: &rng)
        let (a, b) = (try tuned.logits(x).scalars, try backbone.logits(x).scalars)
        #expect(zip(a, b).allSatisfy { Swift.abs($0 - $1) < 1e-5 })
        #expect(tuned.defaultCAMLayer == "relu2" && tuned.trainableKeys == ["fc.weight", "fc.bias"])
        let fresh = try FineTuning(model: "tiny-cnn", stateDict: dict, classCount: 3, seed: 7)
        let freshShape = try fresh.logits(x).shape
        #expect(fresh.classCount == 3 && freshShape == [3, 3])
        // A fine-tuned checkpoint with its 3-class head builds again, with that head.
        let reloaded = try FineTuning(model: "tiny-cnn", stateDict: fresh.fullStateDict(replacingIn: dict))
        let (r, f) = (try reloaded.logits(x).scalars, try fresh.logits(x).scalars)
        #expect(reloaded.classCount == 3 && r == f)
        #expect(throws: TrainingError.self) { try FineTuning(model: "vgg16", stateDict: dict) }
        #expect(throws: TrainingError.self) { try FineTuning(model: "tiny-cnn", stateDict: dict, classCount: 0) }
        // tiny-cnn's convolutions have no batch norm: only its head can train.
        #expect(throws: TrainingError.self) { try FineTuning(model: "tiny-cnn", stateDict: dict, layers: .all) }
        // The real EfficientNet-Lite0: its head is global average pooling and _fc.
        if let url = try? ModelZoo.defaultWeights(for: "efficientnet-lite0"), FileManager.default.fileExists(atPath: url.path), Self.photosPresent {
            let liteDict = try ModelZoo.stateDict(at: url)
            let lite = try FineTuning(model: "efficientnet-lite0", stateDict: liteDict)
            let photo = try lite.backbone.preprocess(ImageCodec.load(contentsOf: Self.photos.appendingPathComponent("chelsea.png")))
            let (c, d) = (try lite.logits(photo).scalars, try lite.backbone.logits(photo).scalars)
            #expect(zip(c, d).allSatisfy { Swift.abs($0 - $1) < 1e-3 })
        } else {
            print("skipped the EfficientNet-Lite0 head check: weights or photos missing")
        }
    }

    @Test(.enabled(if: photosPresent, skip))
    func fineTunesOnAPhotoFolderReproduciblyResumablyAndWithEachRegularizer() throws {
        let folder = try Self.photoFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (data, classes) = try ImageFolder.labelled(folder, size: 28, channels: 1)
        #expect(classes == ["even", "odd"] && data.count == 8)
        let dict = Self.tinyWeights(seed: 1)
        func model() throws -> FineTuning { try FineTuning(model: "tiny-cnn", stateDict: dict, classCount: 2, seed: 5) }
        let config = try Self.config()
        let before = try ClassifierTraining.accuracy(of: model(), on: data)
        let straight = try model(), again = try model()
        let full = try ClassifierTraining.train(straight, on: data, config: config, folder: nil)
        try ClassifierTraining.train(again, on: data, config: config, folder: nil)
        #expect(straight.parameters["fc.weight"]!.scalars == again.parameters["fc.weight"]!.scalars, "same seed, same weights")
        #expect(full.history.last!.loss < full.history.first!.loss, "training lowers the loss: \(full.history.map(\.loss))")
        print("tiny-cnn head fine-tuning on 8 photos: accuracy \(before) → \(try ClassifierTraining.accuracy(of: straight, on: data)), loss \(full.history.map(\.loss))")

        let run = try Support.temporaryFolder("fine-tune-resume")
        defer { try? FileManager.default.removeItem(at: run) }
        try ClassifierTraining.train(try model(), on: data, config: config, folder: run, stopAfterStep: 5)
        let resumed = try model()
        let state = try ClassifierTraining.train(resumed, on: data, config: config, folder: run, resume: true)
        #expect(state.step == full.step)
        for key in resumed.trainableKeys { #expect(resumed.parameters[key]!.scalars == straight.parameters[key]!.scalars, "\(key) differs after resume") }

        // Each regularizer runs on the fine-tuned model and changes what it learns.
        let mask = try ModelDoctor.diagnose(straight, on: data, layer: "relu2", imagesPerClass: 4)
        #expect(mask.count == 2 && mask.allSatisfy { $0.isEmpty || $0.count == 16 })
        let regularizers: [Regularizer] = [
            .gradientAlignment(try GradientAlignment(lambda: 1)),
            .contrastiveGradCAM(try ContrastiveGradCAM(layer: "relu2")),
            .modelDoctor(try ModelDoctor(alpha: 10, layer: "relu2", channelMask: mask.map { $0.isEmpty ? [Float](repeating: 1, count: 16) : $0 })),
            .adversarial(try AdversarialTraining(epsilon: 0.05, alpha: 0.02, steps: 2)),
        ]
        for regularizer in regularizers {
            let tuned = try model()
            try ClassifierTraining.train(tuned, on: data, config: Self.config(regularizer), folder: nil)
            let w = tuned.parameters["fc.weight"]!.scalars
            #expect(w.allSatisfy(\.isFinite) && w != straight.parameters["fc.weight"]!.scalars, "\(regularizer) leaves the weights unchanged")
        }

        // Unlabelled folder: the backbone's own predictions are the labels.
        let predicted = try ImageFolder.predicted(folder.appendingPathComponent("even"), by: try ModelZoo.build("tiny-cnn", stateDict: dict))
        #expect(predicted.count == 4 && predicted.classCount == 10)
    }

    static var liteWeights: URL? {
        guard let url = try? ModelZoo.defaultWeights(for: "efficientnet-lite0"), FileManager.default.fileExists(atPath: url.path) else { return nil }
        return url
    }

    @Test(.enabled(if: photosPresent && liteWeights != nil, Comment(rawValue: "needs the sample photos and the EfficientNet-Lite0 weights (run scripts/setup.sh)")))
    func trainsEfficientNetLite0sWholeNetworkWithBatchStatistics() throws {
        let dict = try ModelZoo.stateDict(at: Self.liteWeights!)
        // Unfolded layers with running statistics give the folded network's logits.
        let whole = try FineTuning(model: "efficientnet-lite0", stateDict: dict, layers: .all)
        let photo = try whole.backbone.preprocess(ImageCodec.load(contentsOf: Self.photos.appendingPathComponent("chelsea.png")))
        let (unfolded, folded) = (try whole.logits(photo).scalars, try whole.backbone.logits(photo).scalars)
        #expect(zip(unfolded, folded).allSatisfy { Swift.abs($0 - $1) < 2e-3 })
        #expect(whole.trainableKeys.first == "_conv_stem.weight" && whole.trainableKeys.count == 3 * 49 + 2, "49 convolutions with batch norm and the head")

        let partial = try FineTuning(model: "efficientnet-lite0", stateDict: dict, classCount: 2, layers: .from("_blocks.14"), seed: 5)
        #expect(partial.trainableKeys.first == "_blocks.14._expand_conv.weight")
        #expect(partial.trainableKeys.contains("_conv_head.weight") && partial.trainableKeys.contains("_bn1.bias"))
        #expect(!partial.trainableKeys.contains { $0.hasPrefix("_blocks.13.") || $0.hasPrefix("_conv_stem") || $0.hasSuffix("running_mean") })
        #expect(partial.parameters["_bn1.running_mean"] != nil && partial.parameters["_blocks.13._bn0.weight"] == nil)
        #expect(throws: ModelError.self) { try FineTuning(model: "efficientnet-lite0", stateDict: dict, layers: .from("_blocks.99")) }

        // The whole network, 64×64 photos, two classes: the loss falls, early layers and running statistics move, and
        // the saved state dict builds a zoo model that gives the fine-tuned logits.
        let folder = try Self.photoFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (data, _) = try ImageFolder.labelled(folder, size: 64, channels: 3)
        func model() throws -> FineTuning { try FineTuning(model: "efficientnet-lite0", stateDict: dict, classCount: 2, layers: .all, seed: 5) }
        var config = try TrainingConfig(epochs: 3, batchSize: 4, seed: 3, optimizer: .adamW(),
                                        schedule: LearningRateSchedule(base: 1e-3, shape: .constant), augmentation: Augmentation(flip: true))
        let tuned = try model()
        let state = try ClassifierTraining.train(tuned, on: data, config: config, folder: nil)
        #expect(state.history.last!.loss < state.history.first!.loss, "training lowers the loss: \(state.history.map(\.loss))")
        for key in ["_conv_stem.weight", "_blocks.0._depthwise_conv.weight", "_bn0.running_mean", "_fc.weight"] {
            let before = dict[key].map { $0.values } ?? []
            #expect(tuned.parameters[key]!.scalars != before || key == "_fc.weight", "\(key) did not change")
        }
        let rebuilt = try EfficientNetLite0(stateDict: tuned.fullStateDict(replacingIn: dict), classCount: 2)
        let small = try data.batch([0, 1]).images
        let (a, b) = (try tuned.logits(small).scalars, try rebuilt.logits(small).scalars)
        #expect(zip(a, b).allSatisfy { Swift.abs($0 - $1) < 2e-3 }, "\(a) vs \(b)")

        // The gradient-alignment regularizer differentiates through the input gradient, batch norm in training mode.
        config.epochs = 1
        config.regularizer = .gradientAlignment(try GradientAlignment(lambda: 1))
        let aligned = try model()
        try ClassifierTraining.train(aligned, on: data, config: config, folder: nil)
        let stem = aligned.parameters["_conv_stem.weight"]!.scalars
        #expect(stem.allSatisfy { $0.isFinite })
        #expect(stem != dict["_conv_stem.weight"]!.values)
    }
}
