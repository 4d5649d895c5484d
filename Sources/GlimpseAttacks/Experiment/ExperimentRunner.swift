import Foundation
import GlimpseCore
import GlimpseImage
import GlimpseModels

/// Runs an experiment's jobs of one shard, skipping those already in the shard's results file.
public struct ExperimentRunner {
    /// One (model, image, interpreter, method) combination.
    public struct Job: Equatable, Sendable {
        public let model: String
        public let image: String
        public let interpreter: String
        public let method: AttackMethod
        /// The framework of an interpreter attack (.pgd for classifier attacks).
        public let framework: AttackFramework

        /// The record identity: the image's file name stem, as written in records.
        public var imageName: String { URL(fileURLWithPath: image).deletingPathExtension().lastPathComponent }

        /// The method as the record names it ("adv2-cw" for ADV² in the C&W framework).
        public var recordMethod: String {
            AttackSettings(method: method, interpreter: interpreter, framework: framework).recordMethod
        }

        func matches(_ r: AttackRecord) -> Bool {
            r.model == model && r.image == imageName && r.interpreter == interpreter && r.method == recordMethod
        }
    }

    public let config: ExperimentConfig
    public let shard: Shard

    public init(config: ExperimentConfig, shard: Shard = .whole) {
        self.config = config
        self.shard = shard
    }

    /// All jobs in a fixed order (model, image, interpreter, method, framework).
    public var jobs: [Job] {
        let frameworks = config.frameworks ?? [.pgd]
        return config.models.flatMap { m in
            config.images.flatMap { i in
                config.interpreters.flatMap { p in
                    config.methods.flatMap { method in
                        (method.interpreterMethod == nil ? [.pgd] : frameworks).map {
                            Job(model: m, image: i, interpreter: p, method: method, framework: $0)
                        }
                    }
                }
            }
        }
    }

    /// This shard's jobs.
    public var shardJobs: [Job] { jobs.enumerated().filter { shard.contains(job: $0.offset) }.map(\.element) }

    /// The shard's results file.
    public var resultsURL: URL { URL(fileURLWithPath: shard.resultsPath(config.output ?? "experiment.jsonl")) }

    /// Runs the shard's unfinished jobs; `load` builds a model by name, `report` is told of each job (index among
    /// the shard's jobs, total, job, record or nil when skipped as done; an error it throws stops the run after the
    /// job's record is saved), and `progress` of each step of an interpreter attack (job, step, total).
    public func run(load: (String) throws -> any Classifier,
                    report: (Int, Int, Job, AttackRecord?) throws -> Void = { _, _, _, _ in },
                    progress: ((Job, Int, Int) -> Void)? = nil) throws {
        var file = try ResultsFile(url: resultsURL)
        let mine = shardJobs
        var models: [String: any Classifier] = [:]
        var inputs: [String: (Tensor, Int)] = [:]
        for (i, job) in mine.enumerated() {
            if file.records.contains(where: job.matches) { try report(i, mine.count, job, nil); continue }
            let model = try models[job.model] ?? load(job.model)
            models[job.model] = model
            let key = job.model + "\u{0}" + job.image
            if inputs[key] == nil {
                let x = try model.preprocess(ImageCodec.load(contentsOf: URL(fileURLWithPath: job.image)))
                inputs[key] = (x, Prediction.argmax(try model.logits(x))[0])
            }
            let (x, label) = inputs[key]!
            let run = try AttackRun.run(config.settings(method: job.method, interpreter: job.interpreter, framework: job.framework), model: model,
                                        image: job.imageName, x: x, label: label,
                                        progress: progress.map { p in { p(job, $0, $1) } })
            try file.append(run.record)
            try report(i, mine.count, job, run.record)
        }
    }
}
