import ArgumentParser
import Foundation
import GlimpseExperiments
import GlimpseTraining

struct ExperimentDefenses: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "defenses",
        abstract: "Train the baseline and regularized Fashion-MNIST models of CONFIG.yaml and measure them against attacks and detectors.",
        discussion: """
        For each model of the config (a name, a `glimpse train --regularizer` value and its options): trains it from the \
        seed (or resumes or reuses its run in OUT/models/NAME), measures test accuracy and saliency faithfulness \
        (deletion/insertion, ADCC, cascading sanity check), and runs PGD, ADV², AdvEdge and AdvEdge+ per interpreter plus an \
        adaptive PGD, with feature squeezing and the interpreter-ensemble check calibrated at the config's false-positive \
        rate on top. Every finished row is kept in OUT/rows/ (atomic files): run the same command again after a kill and it \
        computes only what is missing. Writes OUT/table.md, models.csv, attacks.csv, study.json and records.json \
        (glimpse gallery build OUT/records.json --out SITE).

        Example: glimpse experiment defenses Docs/experiments/defenses-quick.yaml --out runs/defenses-quick
        """
    )

    @Argument(help: ArgumentHelp("Study config (YAML).", valueName: "config"))
    var config: String

    @Option(name: .long, help: "Output folder (default: runs/<config name without extension>).")
    var out: String?

    func run() throws {
        let study = try DefenseStudyConfig.load(contentsOf: URL(fileURLWithPath: config))
        let folder = URL(fileURLWithPath: outFolder)
        let train = try FashionMNIST.load(.train)
        let studyTrain = study.data.train.map { train.prefix($0) } ?? train
        let runner = DefenseStudy(config: study, folder: folder) { name, options in
            try ExperimentDefenses.regularizer(name, options, diagnosisData: studyTrain)
        }
        let report = try runner.run(train: train, test: FashionMNIST.load(.test)) { event in
            switch event {
            case let .training(model, p):
                Progress.update("\(model) epoch \(p.epoch + 1)", step: p.batch, of: p.batchesPerEpoch,
                                String(format: "loss %.4f acc %.2f%%", p.loss, 100 * p.accuracy))
                if p.batch == p.batchesPerEpoch { Progress.finish() }
            case let .trained(model, reused): Progress.line("\(model): \(reused ? "finished run reused" : "trained")")
            case let .computed(key): Progress.line("computed \(key)")
            case let .note(text): Progress.line(text)
            }
        }
        try report.write(to: folder, command: command)
        print(report.attackTable(.markdown).markdown)
        print(String(format: "%.0f s; written to %@", report.seconds, folder.path))
    }

    var outFolder: String { out ?? "runs/" + URL(fileURLWithPath: config).deletingPathExtension().lastPathComponent }

    var command: String { "glimpse experiment defenses \(config) --out \(outFolder)" }

    /// The regularizer `glimpse train --regularizer NAME --OPTION VALUE ...` would use, so the study knows every
    /// regularizer `glimpse train` knows; Model Doctor diagnoses its `doctor-model` on `diagnosisData`.
    static func regularizer(_ name: String, _ options: [String: String], diagnosisData: LabeledImages) throws -> Regularizer? {
        let arguments = ["--regularizer", name] + options.keys.sorted().flatMap { ["--" + $0, options[$0]!] }
        do {
            let parsed = try TrainRegularizerOptions.parse(arguments)
            if name == "model-doctor", parsed.doctorModel == nil {
                throw ValidationError("model-doctor needs doctor-model: the weights to diagnose, e.g. \"@baseline\"")
            }
            return try parsed.make(diagnose: TrainRegularizerOptions.diagnosis(ofFashionCNN: parsed.doctorModel ?? "", on: diagnosisData))
        } catch {
            throw ValidationError(TrainRegularizerOptions.message(for: error))
        }
    }
}
