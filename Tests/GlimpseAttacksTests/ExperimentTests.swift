import Foundation
import GlimpseAttacks
import GlimpseCore
import GlimpseImage
import GlimpseModels
import Testing

@Suite struct ShardTests {
    @Test func parsingAndEnvironment() throws {
        let s = try Shard(parsing: "1/3")
        #expect(s.index == 1 && s.count == 3 && s.contains(job: 4) && !s.contains(job: 3))
        #expect(s.resultsPath("/r/x.jsonl") == "/r/x.shard-1-of-3.jsonl" && Shard.whole.resultsPath("/r/x.jsonl") == "/r/x.jsonl")
        for bad in ["3/3", "-1/2", "1", "a/b", "0/0"] { #expect(throws: AttackError.self) { try Shard(parsing: bad) } }
        #expect(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "4", "SLURM_ARRAY_TASK_COUNT": "3"])
                == Shard(index: 1, count: 3))
        #expect(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "2", "GLIMPSE_SHARDS": "4"]) == Shard(index: 2, count: 4))
        #expect(throws: AttackError.self) { try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "2"]) }
        #expect(try Shard.fromEnvironment([:]) == nil)
    }
}

@Suite struct ExperimentTests {
    /// A folder with two 16×16 PNGs and a config running clean, pgd and adv2 against cam and grad on the toy model.
    func setUp() throws -> (URL, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-exp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("img"), withIntermediateDirectories: true)
        var rng = SeededRNG(seed: 4)
        for name in ["a", "b"] {
            let planes = Tensor.uniform([3, 16, 16], rng: &rng).scalars
            try ImageCodec.write(RGBImage(planar: planes, channels: 3, width: 16, height: 16), to: dir.appendingPathComponent("img/\(name).png"))
        }
        let yaml = """
        models: [toy-cnn]
        images: [img/a.png, img/b.png]
        interpreters: [cam, grad]
        methods: [clean, pgd, adv2]
        preset: quick
        eps: 0.1
        alpha: 0.01
        warmStartSteps: 20
        steps: 10
        seed: 3
        output: out/results.jsonl
        """
        let config = dir.appendingPathComponent("exp.yaml")
        try Data(yaml.utf8).write(to: config)
        return (dir, config)
    }

    @Test func configResolvesPathsAndRejectsBadFiles() throws {
        let (dir, url) = try setUp()
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = try ExperimentConfig.load(contentsOf: url)
        #expect(c.images == [dir.appendingPathComponent("img/a.png").standardizedFileURL.path, dir.appendingPathComponent("img/b.png").standardizedFileURL.path])
        #expect(c.output == dir.appendingPathComponent("out/results.jsonl").standardizedFileURL.path)
        #expect(c.methods == [.clean, .pgd, .adv2] && c.preset == .quick && c.steps == 10)
        let bad = dir.appendingPathComponent("bad.yaml")
        for text in ["models: [x]\nimages: []\ninterpreters: [cam]\nmethods: [pgd]\npreset: quick",
                     "models: [x]\nimages: [a]\ninterpreters: [sobel]\nmethods: [pgd]\npreset: quick",
                     "models: [x]\nimages: [a]\ninterpreters: [cam]\nmethods: [zap]\npreset: quick",
                     "models: [x]\nimages: [a]\ninterpreters: [rts]\nmethods: [adv2]\npreset: quick",
                     "models: [x]\nimages: [a]\ninterpreters: [cam]\nmethods: [adv2]\npreset: quick\nframeworks: []",
                     "models: [x]\nimages: [a]\ninterpreters: [cam]\nmethods: [adv2]\npreset: quick\ngoal: untargeted",
                     "images: [a]", ": : :"] {
            try Data(text.utf8).write(to: bad)
            #expect(throws: AttackError.self, "\(text)") { try ExperimentConfig.load(contentsOf: bad) }
        }
        #expect(throws: AttackError.self) { try ExperimentConfig.load(contentsOf: dir.appendingPathComponent("missing.yaml")) }
    }

    /// `gradTau` and `mapWeightScale` reach the Grad interpreter and the joint stages' c; bad values are typed errors.
    @Test func surrogateTauAndMapWeightScaleAreWiredThrough() throws {
        let (dir, url) = try setUp()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data((try String(contentsOf: url, encoding: .utf8) + "\ngradTau: 0.01\nmapWeightScale: 1000").utf8).write(to: url)
        let config = try ExperimentConfig.load(contentsOf: url)
        let model = ToyCNN(seed: 11)
        let tuned = config.settings(method: .adv2, interpreter: "grad")
        #expect(tuned.gradTau == 0.01 && tuned.mapWeightScale == 1000)
        #expect((try tuned.interpreter(for: model) as? GradInterpreter)?.tau == 0.01)
        #expect((try config.settings(method: .adv2, interpreter: "cam").interpreter(for: model)) is CAMInterpreter)
        var published = tuned
        published.gradTau = nil
        published.mapWeightScale = nil
        #expect((try published.interpreter(for: model) as? GradInterpreter)?.tau == 1e-4)
        // Each setting changes the attack on its own.
        var rng = SeededRNG(seed: 9)
        let x = Tensor.uniform([1, 3, 16, 16], rng: &rng)
        let label = Prediction.argmax(try model.logits(x))[0]
        func adversarial(_ s: AttackSettings) throws -> [Float] {
            try AttackRun.run(s, model: model, image: "a.png", x: x, label: label).adversarial.scalars
        }
        var tauOnly = tuned, scaleOnly = tuned
        tauOnly.mapWeightScale = nil
        scaleOnly.gradTau = nil
        let base = try adversarial(published)
        #expect(try adversarial(tauOnly) != base)
        #expect(try adversarial(scaleOnly) != base)
        var bad = tuned
        bad.gradTau = -1
        #expect(throws: AttackError.self) { try bad.interpreter(for: model) }
        bad = tuned
        bad.mapWeightScale = 0
        #expect(throws: AttackError.self) { try adversarial(bad) }
        bad.mapWeightScale = .nan
        #expect(throws: AttackError.self) { try adversarial(bad) }
        // Out-of-range values are errors whichever interpreter runs.
        var badCAM = config.settings(method: .adv2, interpreter: "cam")
        badCAM.gradTau = 0
        #expect(throws: AttackError.self) { try badCAM.interpreter(for: model) }
    }

    @Test func runResumesAndShardsMergeIntoOneTable() throws {
        let (dir, url) = try setUp()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try ExperimentConfig.load(contentsOf: url)
        let model = ToyCNN(seed: 11)
        let load: (String) throws -> any Classifier = { _ in model }
        let whole = ExperimentRunner(config: config)
        #expect(whole.jobs.count == 12)
        // A run that stops after 5 jobs (as if killed) resumes and finishes the other 7 only.
        struct Stop: Error {}
        var ran = 0
        #expect(throws: Stop.self) {
            try whole.run(load: load, report: { _, _, _, r in if r != nil { ran += 1; if ran == 5 { throw Stop() } } })
        }
        #expect(try ResultsFile.read(whole.resultsURL).count == 5)
        var fresh = 0, skipped = 0
        try whole.run(load: load, report: { _, _, _, r in if r == nil { skipped += 1 } else { fresh += 1 } })
        #expect(skipped == 5 && fresh == 7)
        let records = try ResultsFile.read(whole.resultsURL)
        #expect(records.count == 12)
        // Shards 0/2 and 1/2 together give the same records (same seeds, same targets).
        for k in 0..<2 { try ExperimentRunner(config: config, shard: Shard(index: k, count: 2)).run(load: load) }
        let sharded = try (0..<2).flatMap { try ResultsFile.read(URL(fileURLWithPath: Shard(index: $0, count: 2).resultsPath(config.output!))) }
        #expect(sharded.count == 12)
        func key(_ r: AttackRecord) -> String { "\(r.image) \(r.interpreter) \(r.method) \(r.target ?? -1) \(r.success) \(r.mapL2)" }
        #expect(Set(sharded.map(key)) == Set(records.map(key)))
        // Same image: every method gets the same target; the clean baseline is the unperturbed image.
        for image in ["a", "b"] { #expect(Set(records.filter { $0.image == image }.map(\.target)).count == 1) }
        #expect(records.filter { $0.method == "clean" }.allSatisfy { $0.linf == 0 && !$0.success })
        #expect(records.filter { $0.method != "clean" }.allSatisfy { $0.linf <= 0.1 + 1e-6 })
        let report = ExperimentReport(sharded)
        #expect(report.rows.count == 6 && report.rows.allSatisfy { $0.summary.count == 2 })
        let csv = report.csv().split(separator: "\n")
        #expect(csv.count == 7 && csv[0].hasPrefix("model,interpreter,method") && csv[0].hasSuffix("iou@90%"))
        #expect(report.markdown.split(separator: "\n").count == 8)
    }
}
