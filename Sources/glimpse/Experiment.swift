import ArgumentParser
import Foundation
import GlimpseAttacks
import GlimpseFormats
import GlimpseModels

struct Experiment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run attack experiments described in YAML, resumably and in shards, and tabulate the results.",
        subcommands: [ExperimentRun.self, ExperimentTable.self, ExperimentDefenses.self]
    )
}

struct ExperimentRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run every (model, image, interpreter, method) job of CONFIG.yaml, appending one JSON line per job.",
        discussion: """
        Each finished job is added to the results file (the config's `output`, default <config>.jsonl) by an atomic
        rewrite; a killed run resumes where it stopped and finished jobs are skipped. --shard K/N (0 ≤ K < N) runs
        jobs i with i mod N = K into <output stem>.shard-K-of-N.jsonl; without it the shard is read from SLURM job
        arrays (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT) or Kubernetes indexed Jobs
        (JOB_COMPLETION_INDEX with GLIMPSE_SHARDS = completions). `glimpse experiment report CONFIG.yaml` merges the shards.
        """
    )

    @Argument(help: ArgumentHelp("Experiment config (YAML).", valueName: "config"))
    var config: String

    @Option(name: .long, help: "Run shard K of N (K from 0).")
    var shard: String?

    func run() throws {
        let experiment = try ExperimentConfig.load(contentsOf: URL(fileURLWithPath: config))
        let part = try shard.map(Shard.init(parsing:)) ?? Shard.fromEnvironment(ProcessInfo.processInfo.environment) ?? .whole
        let runner = ExperimentRunner(config: experiment, shard: part)
        Progress.line("experiment \(config): \(runner.shardJobs.count) of \(runner.jobs.count) jobs in shard \(part), preset \(experiment.preset.rawValue) → \(runner.resultsURL.path)")
        try runner.run(load: { name in
            try ModelZoo.load(name, weights: experiment.weights?[name].map { URL(fileURLWithPath: $0) })
        }, report: { i, total, job, record in
            let what = "[\(i + 1)/\(total)] \(job.imageName) \(job.interpreter) \(job.recordMethod)"
            if let r = record {
                Progress.line(String(format: "%@: success %@, map L2 %.3f, IoU %.3f, %.1f s", what, "\(r.success)", r.mapL2, r.iouMean, r.seconds))
            } else {
                Progress.line("\(what): done before, skipped")
            }
        }, progress: { job, step, total in
            Progress.update("  \(job.imageName) \(job.interpreter) \(job.recordMethod)", step: step, of: total)
            if step == total { Progress.finish() }
        })
    }
}

struct ExperimentTable: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print the table of experiment results (markdown), optionally writing CSV and markdown files.",
        discussion: "Inputs are results files (.jsonl) or configs (.yaml/.yml: their results file and all its shard files)."
    )

    @Argument(help: ArgumentHelp("Results files or experiment configs.", valueName: "input"))
    var inputs: [String]

    @Option(name: .long, help: "Also write the table as CSV to this file.")
    var csv: String?

    @Option(name: .long, help: "Also write the markdown table to this file.")
    var markdown: String?

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one results file or config") }
    }

    func run() throws {
        var records: [AttackRecord] = []
        for input in inputs {
            for url in try resultFiles(input) { records += try ResultsFile.read(url) }
        }
        guard !records.isEmpty else { throw ValidationError("no results found in \(inputs.joined(separator: ", "))") }
        let report = ExperimentReport(records)
        print(report.markdown, terminator: "")
        if let csv { try AtomicFile.write(Data(report.csv().utf8), to: URL(fileURLWithPath: csv)) }
        if let markdown { try AtomicFile.write(Data(report.markdown.utf8), to: URL(fileURLWithPath: markdown)) }
    }

    /// The results files of one input: itself, or a config's output and its shard files.
    func resultFiles(_ input: String) throws -> [URL] {
        let url = URL(fileURLWithPath: input)
        guard ["yaml", "yml"].contains(url.pathExtension) else { return [url] }
        let output = URL(fileURLWithPath: try ExperimentConfig.load(contentsOf: url).output ?? "")
        let folder = output.deletingLastPathComponent()
        let stem = output.deletingPathExtension().lastPathComponent
        let shards = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let files = ([output.lastPathComponent] + shards.filter { $0.hasPrefix(stem + ".shard-") && $0.hasSuffix(".jsonl") }.sorted())
            .map { folder.appendingPathComponent($0) }
        return files.filter { FileManager.default.fileExists(atPath: $0.path) }
    }
}
