import ArgumentParser
import Foundation
import GlimpseAttacks
import GlimpseDefenses
import GlimpseFormats
import GlimpseGallery
import GlimpseTraining

struct Defend: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure detection and input-transform defenses against attacks on the Fashion-MNIST CNN.",
        discussion: """
        Calibrates feature squeezing and the interpreter-ensemble check at 5% false-positive rate on clean test images, \
        then reports their true-positive rates on PGD, ADV², AdvEdge and AdvEdge+ (per interpreter) and on an adaptive PGD \
        that also minimises the feature-squeezing score and on one that also minimises the ensemble's score, and the accuracy each input transform recovers. Writes into --out: \
        defenses.json (every figure), defenses.md (the table), rows/ (each finished row: run the same command again after \
        a kill and it resumes) and records.json (a gallery record: \
        glimpse gallery build OUT/records.json --out SITE).

        Presets: quick (200 calibration + 100 attacked images, interpreters grad and cam, a few minutes), full (1000 + 500, \
        grad, cam and gradcam).

        Example: glimpse defend --preset quick --out runs/defenses
        """
    )

    enum Preset: String, ExpressibleByArgument, CaseIterable { case quick, full }

    @Option(name: .long, help: "quick or full.")
    var preset: Preset = .quick

    @Option(name: .long, help: ArgumentHelp("Fashion-MNIST CNN weights (glimpse train's model.safetensors). Default: the run cached by the training tests.", valueName: "path"))
    var weights: String?

    @Option(name: .long, help: "L∞ budget of the attacks (images in [0, 1]).")
    var eps: Float = 0.1

    @Option(name: .long, help: "Seed of the attacks' random starts and targets.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Feature-squeezing squeezers, comma-separated (bits:B, median:S, jpeg:Q, gaussian:SIGMA). Default: Xu et al.'s MNIST setting.")
    var squeezers = "bits:1,median:2"

    @Option(name: .long, help: "Weight c of the feature-squeezing score in the adaptive PGD.")
    var adaptiveC: Float = 1

    @Option(name: .long, help: "Weight c of the interpreter-ensemble score in the adaptive PGD against the ensemble.")
    var adaptiveEnsembleC: Float = 1

    @Option(name: .long, help: "Output folder.")
    var out: String

    func validate() throws {
        guard eps.isFinite, eps > 0, eps <= 1 else { throw ValidationError("--eps must be in (0, 1], found \(eps)") }
        guard adaptiveC.isFinite, adaptiveC >= 0 else { throw ValidationError("--adaptive-c must be at least 0, found \(adaptiveC)") }
        guard adaptiveEnsembleC.isFinite, adaptiveEnsembleC >= 0 else { throw ValidationError("--adaptive-ensemble-c must be at least 0, found \(adaptiveEnsembleC)") }
        do { for s in squeezerList { _ = try InputTransform(parsing: s) } } catch { throw ValidationError("--squeezers: \(error)") }
    }

    var squeezerList: [String] { squeezers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func run() throws {
        let model = try DefenseEvaluation.loadFashionCNN(weights.map { URL(fileURLWithPath: $0) } ?? DefenseEvaluation.cachedFashionCNNWeights)
        let test = try FashionMNIST.load(.test)
        let (calibrationCount, attackCount) = preset == .quick ? (200, 100) : (1000, 500)
        var settings = DefenseEvaluation.Settings()
        settings.eps = eps
        settings.seed = seed
        settings.squeezers = squeezerList
        settings.adaptiveC = adaptiveC
        settings.adaptiveEnsembleC = adaptiveEnsembleC
        if preset == .full { settings.interpreters = ["grad", "cam", "gradcam"] }
        let calibration = test.batch(Array(0..<calibrationCount)).images
        let attacked = test.batch(Array(calibrationCount..<(calibrationCount + attackCount)))
        let folder = URL(fileURLWithPath: out)
        let report = try DefenseEvaluation(model: model, settings: settings)
            .run(calibration: calibration, attacked: attacked.images, labels: attacked.labels,
                 resumeFolder: folder.appendingPathComponent("rows"), progress: { Progress.line($0) })
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(report), to: folder.appendingPathComponent("defenses.json"))
        try AtomicFile.write(Data(report.markdown.utf8), to: folder.appendingPathComponent("defenses.md"))
        var records = GalleryRecords(title: "Glimpse defenses")
        records.experiments = [experimentRecord(report)]
        try AtomicFile.write(encoder.encode(records), to: folder.appendingPathComponent("records.json"))
        print(report.markdown)
        print(String(format: "%.0f s; written to %@", report.seconds, folder.path))
    }

    var command: String {
        "glimpse defend --preset \(preset.rawValue) --eps \(eps) --seed \(seed) --squeezers \(squeezers) --adaptive-c \(adaptiveC) --adaptive-ensemble-c \(adaptiveEnsembleC)" + (weights.map { " --weights \($0)" } ?? "") + " --out \(out)"
    }

    /// The table and two plots over the PGD sweep: detection rates and accuracy after each transform vs ε.
    func experimentRecord(_ report: DefenseReport) -> ExperimentRecord {
        let x = report.sweep.map(\.eps)
        let detection = [PlotSeries(name: "PGD success", x: x, y: report.sweep.map(\.successRate))]
            + report.detectors.keys.sorted().map { key in
                PlotSeries(name: "TPR \(key) @ \(Int(100 * report.settings.falsePositiveRate))% FPR", x: x,
                           y: report.sweep.map { $0.detection[key] ?? 0 })
            }
        let accuracy = (["none"] + report.settings.transforms).map { t in
            PlotSeries(name: t == "none" ? "no transform" : t, x: x, y: report.sweep.map { $0.accuracy[t] ?? 0 })
        }
        return ExperimentRecord(
            title: "Fashion-MNIST CNN: detection and input transforms vs attacks (\(preset.rawValue))",
            columns: report.tableColumns, rows: report.tableRows,
            plots: [PlotRecord(title: "PGD: success and detection rate vs ε", xLabel: "ε (L∞)", yLabel: "rate", series: detection),
                    PlotRecord(title: "PGD: accuracy after each input transform vs ε", xLabel: "ε (L∞)", yLabel: "accuracy", series: accuracy)],
            command: command)
    }
}
