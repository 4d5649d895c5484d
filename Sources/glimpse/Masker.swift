import ArgumentParser
import Foundation
import GlimpseCore
import GlimpseFormats
import GlimpseMetrics
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

    @Option(name: .long, help: "Weight of the area term (reference: 8).")
    var areaWeight: Float = MaskerObjective().areaWeight

    @Option(name: .long, help: "Weight of the preserver term (reference: 0.3).")
    var preserverWeight: Float = MaskerObjective().preserverWeight

    @Option(name: .long, help: "Weight of the smoothness (total variation) term (reference: 0.005).")
    var smoothWeight: Float = MaskerObjective().smoothWeight

    @Option(name: .long, help: "Weight of the destroyer term (reference: 1).")
    var destroyerWeight: Float = MaskerObjective().destroyerWeight

    @Option(name: .long, help: "Exponent p of the area term mean((m + ε)^p) (reference: 0.3).")
    var areaPower: Float = MaskerObjective().areaPower

    @Option(name: .long, help: "Probability that the alternative image is the blurred copy rather than noise plus a random colour (reference: 0.5).")
    var blurProbability: Float = MaskerObjective().blurProbability

    @Option(name: .long, help: "Fashion-MNIST only: input side over mask side, 2 (14² mask) or 1 (28², one more upsampling block).")
    var maskScale: Int = 2

    @Flag(name: .long, help: "Continue from the checkpoints in --out.")
    var resume = false

    func validate() throws {
        guard phase1Epochs >= 0, phase2Epochs >= 1, batchSize >= 1, (limit ?? 1) >= 1 else {
            throw ValidationError("--phase2-epochs, --batch-size and --limit must be at least 1, --phase1-epochs at least 0")
        }
        guard [areaWeight, preserverWeight, smoothWeight, destroyerWeight].allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw ValidationError("--area-weight, --preserver-weight, --smooth-weight and --destroyer-weight must be finite and at least 0")
        }
        guard areaPower.isFinite, areaPower > 0 else { throw ValidationError("--area-power must be positive, got \(areaPower)") }
        guard (0...1).contains(blurProbability) else { throw ValidationError("--blur-probability must be in [0, 1], got \(blurProbability)") }
        if data == "fashion-mnist", modelOptions.model != FashionCNN.arch { throw ValidationError("fashion-mnist goes with --model \(FashionCNN.arch)") }
        guard [1, 2].contains(maskScale) else { throw ValidationError("--mask-scale must be 1 or 2, got \(maskScale)") }
        if maskScale != 2, modelOptions.model != FashionCNN.arch { throw ValidationError("--mask-scale is an option of the \(FashionCNN.arch) masker") }
    }

    func run() throws {
        var (classifier, spec) = try modelOptions.load()
        if let cnn = classifier as? FashionCNN { spec = try .fashionMNIST(widths: cnn.widths, maskScale: maskScale) }
        var images = data == "fashion-mnist" ? try FashionMNIST.load(.train) : try ImageFolder.predicted(URL(fileURLWithPath: data), by: classifier)
        if let limit { images = images.prefix(limit) }
        let augmentation: Augmentation = data == "fashion-mnist" ? Augmentation(flip: true) : .randomSizedCrop(spec.inputSize)
        var settings = MaskerTraining.Settings(phase1Epochs: phase1Epochs, phase2Epochs: phase2Epochs,
                                               batchSize: min(batchSize, images.count), seed: seed, augmentation: augmentation)
        settings.objective.areaWeight = areaWeight
        settings.objective.preserverWeight = preserverWeight
        settings.objective.smoothWeight = smoothWeight
        settings.objective.destroyerWeight = destroyerWeight
        settings.objective.areaPower = areaPower
        settings.objective.blurProbability = blurProbability
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
        abstract: "Judge a Fashion-MNIST masker on test images: the paper's saliency metric and deletion/insertion, rts vs Grad-CAM and vanilla gradient.",
        discussion: """
        Saliency metric log(max(a, 0.05)) − log(p) (Dabkowski & Gal; lower is better): each map is boxed at each threshold \
        of --thresholds (fractions of its maximum) and the best threshold per method is reported with the mean box area \
        and probability; the whole image is the no-map baseline. Deletion and insertion AUC (Petsiuk et al.; one image \
        row of pixels per step, lower deletion and higher insertion are better), with a seeded uniform-random map as baseline. \
        "tied pixels": the mean fraction of a map's pixels sharing their value with another pixel (ties are deleted and \
        inserted by decreasing index).

        Example: glimpse masker eval --model fmnist-cnn --weights runs/fmnist/model.safetensors --masker runs/masker --count 1000 --json eval.json
        """
    )

    @OptionGroup var modelOptions: MaskerModelOptions

    @Option(name: .long, help: "Masker folder (from glimpse masker train).")
    var masker: String

    @Option(name: .long, help: "Number of test images (the first N).")
    var count: Int = 500

    @Option(name: .long, help: "Thresholds, comma-separated.")
    var thresholds: String = "0.2,0.3,0.4,0.5,0.6,0.7"

    @Option(name: .long, help: "Subtracted from the selector activation before the gate at inference (the reference's model_confidence; 0 as in training).")
    var confidence: Float = 0

    @Option(name: .long, help: "Also write the table as JSON to this file.")
    var json: String?

    /// One method's means over the test images.
    struct Row: Codable {
        var method: String
        var threshold: Float?
        var metric: Double?
        var area: Double?
        var probability: Double?
        var deletion: Double?
        var insertion: Double?
        /// Mean fraction of a map's pixels that share their value with another pixel (their deletion order is a tie-break).
        var tied: Double?
    }

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard confidence.isFinite else { throw ValidationError("--confidence must be finite") }
        let ts = thresholds.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard !ts.isEmpty, ts.allSatisfy({ $0.map { $0 > 0 && $0 <= 1 } ?? false }) else {
            throw ValidationError("--thresholds must be comma-separated numbers in (0, 1], got '\(thresholds)'")
        }
    }

    func run() throws {
        let (classifier, _) = try modelOptions.load()
        guard classifier is FashionCNN else { throw ValidationError("masker eval runs on the Fashion-MNIST test set: use --model \(FashionCNN.arch)") }
        let model = try MaskingModel.load(from: URL(fileURLWithPath: masker), classifier: classifier)
        model.confidence = confidence
        let test = try FashionMNIST.load(.test).prefix(count)
        let ts = thresholds.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        var options = SaliencyMethod.Options()
        options.masker = model
        let n = Double(test.count)
        var rows: [Row] = []

        var whole = 0.0
        for i in 0..<test.count {
            let (x, labels) = test.batch([i])
            whole += try SaliencyMetric.score(classifier: classifier, x: x, map: [], classIndex: labels[0], threshold: 1).score
        }
        rows.append(Row(method: "whole image", metric: whole / n, area: 1))
        rows.append(try curves("random map", classifier: classifier, test: test) { i, x, _ in
            var rng = SeededRNG(seed: UInt64(i))
            return Tensor.uniform([x.shape[2], x.shape[3]], rng: &rng)
        })
        for method in [SaliencyMethod.rts, .gradcam, .vanilla] {
            var sums = [[Double]](repeating: [0, 0, 0], count: ts.count)
            var row = try curves(method.rawValue, classifier: classifier, test: test) { i, x, label in
                let map = try method.map(model: classifier, x, target: .logit(label), options: options)
                for (k, t) in ts.enumerated() {
                    let r = try SaliencyMetric.score(classifier: classifier, x: x, map: map.scalars, classIndex: label, threshold: t)
                    sums[k][0] += r.score; sums[k][1] += r.area; sums[k][2] += r.probability
                }
                return map
            }
            let best = sums.indices.min { sums[$0][0] < sums[$1][0] }!
            row.threshold = ts[best]
            (row.metric, row.area, row.probability) = (sums[best][0] / n, sums[best][1] / n, sums[best][2] / n)
            rows.append(row)
        }

        print("| map | metric | threshold | box area | p on the box | deletion AUC | insertion AUC | tied pixels |")
        print("|---|---|---|---|---|---|---|---|")
        func cell(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "—" }
        for r in rows {
            print("| \(r.method) | \(cell(r.metric)) | \(r.threshold.map { String(format: "%.1f", $0) } ?? "—") | \(cell(r.area)) | \(cell(r.probability)) | \(cell(r.deletion)) | \(cell(r.insertion)) | \(cell(r.tied)) |")
        }
        print("\(test.count) test images; metric: lower is better; deletion: lower is better; insertion: higher is better")
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(rows), to: URL(fileURLWithPath: json))
        }
    }

    /// Mean deletion and insertion AUC and tied-pixel fraction of the maps `mapFor(index, image, label)` over the
    /// `test` images, with a progress bar.
    private func curves(_ name: String, classifier: any Classifier, test: LabeledImages,
                        _ mapFor: (Int, Tensor, Int) throws -> Tensor) throws -> Row {
        let count = test.count
        var deletion = 0.0, insertion = 0.0, tied = 0.0
        for i in 0..<count {
            let (x, labels) = test.batch([i])
            let map = try mapFor(i, x, labels[0]).reshaped([x.shape[2], x.shape[3]])
            let curve = DeletionInsertion(step: x.shape[3], batchSize: x.shape[2] + 1)
            deletion += try curve.evaluate(.deletion, model: classifier, x, map: map, classIndex: labels[0]).auc
            insertion += try curve.evaluate(.insertion, model: classifier, x, map: map, classIndex: labels[0]).auc
            tied += MapStatistics.tiedFraction(map.scalars)
            Progress.update(name, step: i + 1, of: count)
        }
        Progress.finish()
        let n = Double(count)
        return Row(method: name, deletion: deletion / n, insertion: insertion / n, tied: tied / n)
    }
}
