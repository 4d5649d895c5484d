import ArgumentParser
import Foundation
import GlimpseCore
import GlimpseModels
import GlimpseSaliency
import GlimpseTraining

struct Masker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train, benchmark and evaluate real-time saliency masking models (Dabkowski & Gal 2017).",
        subcommands: [MaskerTrain.self, MaskerBench.self, MaskerEvaluate.self]
    )
}

/// The classifier a masker explains and the masker's architecture for it.
struct MaskerModelOptions: ParsableArguments {
    @Option(name: .long, help: "Classifier explained: \(FashionCNN.arch) (needs --weights from glimpse train) or efficientnet-lite0.")
    var model: String = FashionCNN.arch

    @Option(name: .long, help: ArgumentHelp("Classifier weights (.safetensors or .pth).", valueName: "path"))
    var weights: String?

    func validate() throws {
        guard [FashionCNN.arch, "efficientnet-lite0"].contains(model) else {
            throw ValidationError("masking models exist for \(FashionCNN.arch) and efficientnet-lite0, not '\(model)'")
        }
        if model == FashionCNN.arch, weights == nil { throw ValidationError("--model \(FashionCNN.arch) needs --weights (train one with glimpse train)") }
    }

    func load() throws -> (any Classifier, MaskerSpec) {
        let classifier = try ModelZoo.load(model, weights: weights.map { URL(fileURLWithPath: $0) })
        if let cnn = classifier as? FashionCNN { return (cnn, .fashionMNIST(widths: cnn.widths)) }
        return (classifier, .efficientNetLite0)
    }
}

struct MaskerTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a masking model on Fashion-MNIST (true labels) or an image folder (the classifier's own predictions as labels).",
        discussion: """
        Phase 1 trains the class selector on the existence logits, phase 2 the decoder on the reference objective. \
        Writes masker.json and masker.safetensors into --out (use with glimpse saliency --method rts --masker DIR), \
        with resumable checkpoints in --out/phase1 and --out/phase2.

        Example: glimpse masker train --model fmnist-cnn --weights runs/fmnist/model.safetensors --data fashion-mnist --out runs/masker
        """
    )

    @OptionGroup var modelOptions: MaskerModelOptions

    @Option(name: .long, help: "fashion-mnist, or a folder of images.")
    var data: String

    @Option(name: .long, help: "Output folder.")
    var out: String

    @Option(name: .long, help: "Epochs of phase 1 (selector).")
    var phase1Epochs: Int = 1

    @Option(name: .long, help: "Epochs of phase 2 (decoder).")
    var phase2Epochs: Int = 1

    @Option(name: .long, help: "Batch size.")
    var batchSize: Int = 64

    @Option(name: .long, help: "Use only the first N training images.")
    var limit: Int?

    @Option(name: .long, help: "Seed.")
    var seed: UInt64 = 0

    @Flag(name: .long, help: "Continue from the checkpoints in --out.")
    var resume = false

    func validate() throws {
        guard phase1Epochs >= 0, phase2Epochs >= 1, batchSize >= 1, (limit ?? 1) >= 1 else {
            throw ValidationError("--phase2-epochs, --batch-size and --limit must be at least 1, --phase1-epochs at least 0")
        }
        if data == "fashion-mnist", modelOptions.model != FashionCNN.arch { throw ValidationError("fashion-mnist goes with --model \(FashionCNN.arch)") }
    }

    func run() throws {
        let (classifier, spec) = try modelOptions.load()
        var images = data == "fashion-mnist" ? try FashionMNIST.load(.train) : try ImageFolder.predicted(URL(fileURLWithPath: data), by: classifier)
        if let limit { images = images.prefix(limit) }
        let augmentation: Augmentation = data == "fashion-mnist" ? Augmentation(flip: true) : .randomSizedCrop(spec.inputSize)
        let settings = MaskerTraining.Settings(phase1Epochs: phase1Epochs, phase2Epochs: phase2Epochs,
                                               batchSize: min(batchSize, images.count), seed: seed, augmentation: augmentation)
        let started = Date()
        let (_, states) = try MaskerTraining.train(spec: spec, classifier: classifier, data: images, settings: settings,
                                                   folder: URL(fileURLWithPath: out), resume: resume) { phase, p in
            Progress.update("phase \(phase) epoch \(p.epoch + 1)", step: p.batch, of: p.batchesPerEpoch,
                            String(format: "loss %.4f %@ %.1f%%", p.loss, phase == 1 ? "existence acc" : "preserved acc", 100 * p.accuracy))
            if p.batch == p.batchesPerEpoch { Progress.finish() }
        }
        for (i, s) in states.enumerated() {
            for r in s.history {
                Progress.line(String(format: "phase %d epoch %d: loss %.4f, %@ %.1f%%, %.1f s", i + 1, r.epoch + 1, r.loss,
                                     i == 0 ? "existence accuracy" : "preserved accuracy", 100 * r.accuracy, r.seconds))
            }
        }
        Progress.line(String(format: "%d images, %.1f s", images.count, Date().timeIntervalSince(started)))
        print("\(out)/\(MaskingModel.weightsFile)")
    }
}

struct MaskerBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Masks per second at batch 1 and 32 (inference, input size of the model).")

    @OptionGroup var modelOptions: MaskerModelOptions

    @Option(name: .long, help: "Masker folder (from glimpse masker train).")
    var masker: String

    @Option(name: .long, help: "Timed repetitions per batch size (the median is reported).")
    var repeats: Int = 5

    func run() throws {
        let (classifier, _) = try modelOptions.load()
        let model = try MaskingModel.load(from: URL(fileURLWithPath: masker), classifier: classifier)
        let s = model.spec.inputSize, c = classifier.inputChannels
        var rng = SeededRNG(seed: 0)
        for batch in [1, 32] {
            let x = Tensor.uniform([batch, c, s, s], rng: &rng)
            let classes = (0..<batch).map { $0 % model.spec.classCount }
            let full = try Self.time(repeats) { _ = try model.masks(x, classes: classes) }
            let encoder = try Self.time(repeats) { _ = try model.features(x) }
            print(String(format: "%@ masker, %d×%d, batch %2d: %.1f masks/s (%.1f ms per batch, min %.1f, max %.1f; encoder alone %.1f ms); process CPU %.1f ms per mask",
                         model.spec.model, s, s, batch, Double(batch) / full.median, 1000 * full.median, 1000 * full.min, 1000 * full.max,
                         1000 * encoder.median, 1000 * full.cpu / Double(batch)))
        }
    }

    /// Median, min and max wall seconds of `repeats` runs after one warm-up, and the median process CPU seconds.
    static func time(_ repeats: Int, _ body: () throws -> Void) throws -> (median: Double, min: Double, max: Double, cpu: Double) {
        try body()
        func cpuSeconds() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
        }
        var wall: [Double] = [], cpu: [Double] = []
        for _ in 0..<max(1, repeats) {
            let t = Date(), c = cpuSeconds()
            try body()
            wall.append(Date().timeIntervalSince(t)); cpu.append(cpuSeconds() - c)
        }
        wall.sort(); cpu.sort()
        return (wall[wall.count / 2], wall.first!, wall.last!, cpu[cpu.count / 2])
    }
}

struct MaskerEvaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "The paper's saliency metric log(max(a, 0.05)) − log(p) on Fashion-MNIST test images: rts vs Grad-CAM and vanilla gradient.",
        discussion: "Each map is boxed at each threshold of --thresholds (fractions of its maximum); the best threshold per method is reported with the mean score, box area and probability."
    )

    @OptionGroup var modelOptions: MaskerModelOptions

    @Option(name: .long, help: "Masker folder (from glimpse masker train).")
    var masker: String

    @Option(name: .long, help: "Number of test images (the first N).")
    var count: Int = 500

    @Option(name: .long, help: "Thresholds, comma-separated.")
    var thresholds: String = "0.2,0.3,0.4,0.5,0.6,0.7"

    func run() throws {
        let (classifier, _) = try modelOptions.load()
        let model = try MaskingModel.load(from: URL(fileURLWithPath: masker), classifier: classifier)
        let test = try FashionMNIST.load(.test).prefix(count)
        let ts = thresholds.split(separator: ",").compactMap { Float($0) }
        var options = SaliencyMethod.Options()
        options.masker = model
        var whole = 0.0
        for i in 0..<test.count {
            let (x, labels) = test.batch([i])
            whole += try SaliencyMetric.score(classifier: classifier, x: x, map: [], classIndex: labels[0], threshold: 1).score
        }
        print(String(format: "%-10@ (box = the whole image): metric %.3f", "baseline", whole / Double(test.count)))
        for method in [SaliencyMethod.rts, .gradcam, .vanilla] {
            var sums = [[Double]](repeating: [0, 0, 0], count: ts.count)
            let started = Date()
            for i in 0..<test.count {
                let (x, labels) = test.batch([i])
                let map = try method.map(model: classifier, x, target: .logit(labels[0]), options: options).scalars
                for (k, t) in ts.enumerated() {
                    let r = try SaliencyMetric.score(classifier: classifier, x: x, map: map, classIndex: labels[0], threshold: t)
                    sums[k][0] += r.score; sums[k][1] += r.area; sums[k][2] += r.probability
                }
            }
            let best = sums.indices.min { sums[$0][0] < sums[$1][0] }!
            let n = Double(test.count)
            print(String(format: "%-10@ threshold %.1f: metric %.3f, area %.3f, p %.3f  (%d images, %.1f s)", method.rawValue, ts[best],
                         sums[best][0] / n, sums[best][1] / n, sums[best][2] / n, test.count, Date().timeIntervalSince(started)))
        }
    }
}
