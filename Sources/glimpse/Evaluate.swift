import ArgumentParser
import Foundation
import GlimpseCore
import GlimpseFormats
import GlimpseImage
import GlimpseMetrics
import GlimpseModels
import GlimpseSaliency

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure how faithful saliency methods are: deletion/insertion AUC, ADCC, pointing game, sanity checks.",
        discussion: """
        Methods: every name of `glimpse saliency --help`, or sess:NAME for SESS wrapping NAME.
        Metrics (comma-separated in --metric):
          deletion, insertion  RISE protocol (Petsiuk et al. 2018): AUC of p(class) while the most salient pixels
                               are removed (to the normalisation's centre colour) / inserted into an 11×11 σ=5 blur
          adcc                 Average Drop, Increase in Confidence, Coherency, Complexity, ADCC (Poppi et al. 2021)
          pointing             pointing game, 15 px tolerance (needs --boxes)
          road                 ROAD (Rong et al. 2022) as pytorch-grad-cam's ROADCombined, percentiles 10…90
          sanity               cascading model-parameter randomization (Adebayo et al. 2018), Spearman ρ with and
                               without |·| and SSIM per stage; EfficientNet-Lite0 only
        Maps are min-max normalised before the metrics. The explained class is each image's top-1 class unless
        --target is given. Records are written atomically to --json after every (image, method) pair, and a
        re-run with the same --json computes only the metrics its records lack (new pairs, or e.g. pointing added later).

        Example: glimpse evaluate --method gradcam,reciprocam --metric deletion,insertion,adcc --json out.json photos/*.png
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "Methods, comma-separated.")
    var method: String = "gradcam"

    @Option(name: .long, help: "Metrics, comma-separated: \(Metric.allCases.map(\.rawValue).joined(separator: ", ")).")
    var metric: String = "deletion,insertion,adcc"

    @Option(name: .long, help: "Layer explained by CAM methods.")
    var layer: String?

    @Option(name: .long, help: "Target class index (default: each image's top-1 class).")
    var target: Int?

    @Option(name: .long, help: "Pixels per deletion/insertion step (224: the authors' single-image curves; 1792: their batch evaluation).")
    var step: Int = 1792

    @Option(name: .long, help: "JSON file of ground-truth boxes for the pointing game: {\"image file name\": [[x0, y0, x1, y1], ...]} in input pixels.")
    var boxes: String?

    @Option(name: .long, help: "Write every record to this JSON file (atomically, resumable).")
    var json: String?

    @Option(name: .long, help: "Write the summary table (markdown) to this file.")
    var markdown: String?

    @Option(name: .long, help: "Write the cascading-randomization plot (SVG) to this file.")
    var plot: String?

    @Option(name: .long, help: "Seed of every random choice (SmoothGrad, RISE, Shap-CAM, MASK, randomization).")
    var seed: UInt64 = 0

    @OptionGroup var perturbation: PerturbationOptions

    @Option(name: .long, help: "Sanity check: re-initialise k stages at a time (1: all 19 stages one by one).")
    var sanityStride: Int = 1

    @Argument(help: ArgumentHelp("Image files.", valueName: "image"))
    var images: [String]

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
        guard step >= 1, sanityStride >= 1 else { throw ValidationError("--step and --sanity-stride must be at least 1") }
    }

    func run() throws {
        let specs = try SaliencySpec.list(parsing: method)
        let metrics = try Set(metric.split(separator: ",").map { name -> Metric in
            guard let m = Metric(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw MetricError.badInput("unknown metric '\(name)'; known: \(Metric.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return m
        })
        let weights = try modelOptions.weights.map { URL(fileURLWithPath: $0) } ?? ModelZoo.defaultWeights(for: modelOptions.model)
        let stateDict = try ModelZoo.stateDict(at: weights)
        let model = try ModelZoo.build(modelOptions.model, stateDict: stateDict)
        if let layer, !model.layerPaths.contains(layer) { throw ModelError.unknownLayer(layer, known: model.layerPaths) }
        if let target, !(0..<model.classCount).contains(target) {
            throw SaliencyError.targetOutOfRange("class", index: target, count: model.classCount)
        }
        if metrics.contains(.sanity), model.name != "efficientnet-lite0" {
            throw MetricError.badInput("the sanity check's stages are defined for efficientnet-lite0 only")
        }
        let groundTruth = try boxes.map { try Self.loadBoxes($0) }
        if metrics.contains(.pointing), groundTruth == nil { throw MetricError.badInput("--metric pointing needs --boxes FILE") }

        var options = SaliencyMethod.Options()
        options.layer = layer
        options.seed = seed
        perturbation.apply(to: &options)
        var evaluator = Evaluator(model: model, metrics: metrics, options: options)
        evaluator.deletionInsertion = DeletionInsertion(step: step)
        evaluator.stateDict = stateDict
        evaluator.seed = seed
        evaluator.sanityStages = SanityCheck.grouped(SanityCheck.efficientNetLite0Stages, by: sanityStride)

        var records = try json.map { try Self.loadRecords($0) } ?? []
        let total = images.count * specs.count
        var done = 0
        for path in images {
            let name = URL(fileURLWithPath: path).lastPathComponent
            let x = try model.preprocess(ImageCodec.load(contentsOf: URL(fileURLWithPath: path)))
            let logits = try model.logits(x).scalars
            let c = target ?? (logits.indices.max { logits[$0] < logits[$1] } ?? 0)
            for spec in specs {
                done += 1
                let old = records.firstIndex { $0.image == name && $0.method == spec.description && $0.classIndex == c }
                var job = evaluator
                job.metrics = old.map { records[$0].missing(metrics, hasBoxes: groundTruth?[name] != nil) } ?? metrics
                if job.metrics.isEmpty { continue }
                let label = "\(name) \(spec)"
                Progress.update(label, step: done - 1, of: total)
                let record = try job.evaluate(spec, image: name, x, classIndex: c, boxes: groundTruth?[name]) { part in
                    Progress.update(label, step: done - 1, of: total, part)
                }
                if let old { records[old].fill(from: record) } else { records.append(record) }
                if let json { try Self.save(records, to: json) }
                Progress.update(label, step: done, of: total, String(format: "%.0f ms per map", record.milliseconds))
            }
        }
        Progress.finish()
        let wanted = Set(images.map { URL(fileURLWithPath: $0).lastPathComponent })
        let shown = records.filter { wanted.contains($0.image) && specs.map(\.description).contains($0.method) }
        let table = EvaluationTable.markdown(shown)
        print(table, terminator: "")
        if let markdown { try AtomicFile.write(Data(table.utf8), to: URL(fileURLWithPath: markdown)) }
        if let plot, metrics.contains(.sanity) {
            try AtomicFile.write(Data(EvaluationTable.sanitySVG(shown).utf8), to: URL(fileURLWithPath: plot))
        }
    }

    static func save(_ records: [EvaluationRecord], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(records), to: URL(fileURLWithPath: path))
    }

    /// Records already in `path` (none if the file does not exist); a malformed file is an error, not overwritten.
    static func loadRecords(_ path: String) throws -> [EvaluationRecord] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        do {
            return try JSONDecoder().decode([EvaluationRecord].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw MetricError.badInput("\(path) exists but is not a glimpse evaluate record file; move it away or pick another --json")
        }
    }

    static func loadBoxes(_ path: String) throws -> [String: [PointingGame.Box]] {
        guard let data = FileManager.default.contents(atPath: path) else { throw MetricError.badInput("cannot read boxes from \(path)") }
        return try PointingGame.boxes(json: data)
    }
}
