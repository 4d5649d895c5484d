import ArgumentParser
import Foundation
import GlimpseCore
import GlimpseModels

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure kernels and model latency (run a release build), with ratios against peer timings.",
        discussion: """
        Kernels: every convolution of the model at batch 1 in GFLOP/s, next to SGEMM on the same GEMM shape
        (M = output channels, K = input channels/groups × kernel area, N = output pixels), and the input gradient of
        the same convolution (conv2dBackwardInput) at the same FLOP count.
        Model: forward latency, forward + backward to the input, batch 8 forward.
        With --peers FILE (the peer_timings.json written by ../shared/anchors/run.sh in the same session),
        it prints Glimpse / peer speed ratios. scripts/bench.sh runs both in one go.
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "Timed repetitions per measurement (the median is reported).")
    var runs: Int = 20

    @Option(name: .long, help: "Peer timings JSON from ../shared/anchors (peer_timings.json).")
    var peers: String?

    @Flag(name: .long, help: "Skip the per-convolution kernel table.")
    var skipKernels = false

    @Option(name: .long, help: "Write the results as JSON to this file as well.")
    var json: String?

    func validate() throws {
        guard (1...1000).contains(runs) else { throw ValidationError("--runs must be between 1 and 1000") }
    }

    func run() throws {
        let model = try modelOptions.load()
        print("OpenBLAS core: \(openBLASCoreName), threads: \(glimpseThreadCount), 1×1 weights packed once: \(packedWeightsInUse ? "yes" : "no")")
        var report = BenchReport(model: model.name, blasCore: openBLASCoreName, threads: glimpseThreadCount)
        if !skipKernels { report.kernels = try kernelTable(model) }
        report.timings = try modelTimings(model)
        if let peers { report.ratios = try ratios(report.timings, peersFile: peers) }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: json), options: .atomic)
        }
    }

    /// Median wall time in milliseconds of `body` over `runs` repetitions after 3 warm-ups.
    func median(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
        try spread(runs, body).median
    }

    /// Median, minimum and maximum wall time in milliseconds over `runs` repetitions after 3 warm-ups.
    func spread(_ runs: Int, _ body: () throws -> Void) rethrows -> (median: Double, min: Double, max: Double) {
        for _ in 0..<3 { try body() }
        var times: [Double] = []
        for _ in 0..<runs {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        let sorted = times.sorted()
        return (sorted[sorted.count / 2], sorted.first!, sorted.last!)
    }

    func kernelTable(_ model: any Classifier) throws -> [KernelRow] {
        var convs: [(String, Tensor, Tensor, Conv2DOptions)] = []
        let pass = ForwardPass()
        pass.onConvolution = { convs.append(($0, $1, $2, $3)) }
        let x = Tensor(repeating: 0.5, shape: [1, model.inputChannels, model.inputSize, model.inputSize])
        _ = try withoutGradient { try model.forward(x, pass: pass) }
        var rng = SeededRNG(seed: 1)
        var rows: [KernelRow] = []
        var seen = Set<String>()
        let big = Tensor.normal([1024, 1024], rng: &rng)
        let peakMs = try median(max(5, runs / 4)) { _ = try Tensor.matmul(big, big) }
        print(String(format: "\nSGEMM peak on this machine (1024×1024×1024, all cores): %.1f GFLOP/s", 2.0 * pow(1024.0, 3) / peakMs / 1e6))
        print("convolution kernels (batch 1, median of \(runs)):")
        print("layer                              input            filter          GFLOP/s   SGEMM same shape   ratio   backward GFLOP/s")
        for (path, input, filter, options) in convs {
            let key = "\(input.shape)\(filter.shape)\(options)"
            if seen.contains(key) { continue }
            seen.insert(key)
            let xin = Tensor.normal(input.shape, rng: &rng)
            let y = try Tensor.conv2d(xin, filter: filter, options: options)
            let (cout, cpg, kh, kw) = (filter.shape[0], filter.shape[1], filter.shape[2], filter.shape[3])
            let spatial = y.shape[2] * y.shape[3]
            let flops = 2.0 * Double(cout * cpg * kh * kw * spatial)
            let convMs = try median(runs) { _ = try Tensor.conv2d(xin, filter: filter, options: options) }
            let gy = Tensor.normal(y.shape, rng: &rng)
            let backwardMs = try median(runs) {
                _ = try Tensor.conv2dBackwardInput(gy, filter: filter, inputShape: input.shape, options: options)
            }
            var gemmGflops: Double? = nil
            if options.groups == 1 {
                let a = Tensor.normal([cout, cpg * kh * kw], rng: &rng), b = Tensor.normal([cpg * kh * kw, spatial], rng: &rng)
                let gemmMs = try median(runs) { _ = try Tensor.matmul(a, b) }
                gemmGflops = flops / gemmMs / 1e6
            }
            let row = KernelRow(layer: path, input: input.shape, filter: filter.shape, groups: options.groups,
                                gflops: flops / convMs / 1e6, sgemmGflops: gemmGflops, backwardGflops: flops / backwardMs / 1e6)
            rows.append(row)
            let gemmText = gemmGflops.map { String(format: "%8.1f", $0) } ?? "   (depthwise)"
            let ratioText = gemmGflops.map { String(format: "%5.0f%%", 100 * row.gflops / $0) } ?? "      "
            print(path.padding(toLength: 34, withPad: " ", startingAt: 0),
                  "\(input.shape)".padding(toLength: 16, withPad: " ", startingAt: 0),
                  "\(filter.shape)".padding(toLength: 15, withPad: " ", startingAt: 0),
                  String(format: "%8.1f", row.gflops), "  ", gemmText, "        ", ratioText,
                  String(format: "%10.1f", row.backwardGflops))
        }
        return rows
    }

    func modelTimings(_ model: any Classifier) throws -> ModelTimings {
        var rng = SeededRNG(seed: 2)
        let x = Tensor.uniform([1, model.inputChannels, model.inputSize, model.inputSize], rng: &rng)
        let forward = try spread(runs) { _ = try model.logits(x) }
        let backward = try spread(runs) {
            let xt = x.requiringGradient()
            let logits = try model.run(xt).logits
            let top = try logits.max()
            _ = try gradient(of: top, wrt: [xt])
        }
        let x8 = Tensor.uniform([8, model.inputChannels, model.inputSize, model.inputSize], rng: &rng)
        let batch8 = try spread(max(3, runs / 4)) { _ = try model.logits(x8) }
        print("\n\(model.name), \(model.inputSize)×\(model.inputSize), median (min-max) of \(runs):")
        print(String(format: "  forward, batch 1:                 %8.2f ms  (%.2f-%.2f)", forward.median, forward.min, forward.max))
        print(String(format: "  forward + backward to the input:  %8.2f ms  (%.2f-%.2f)", backward.median, backward.min, backward.max))
        print(String(format: "  forward, batch 8:                 %8.2f ms  (%.2f ms per image)", batch8.median, batch8.median / 8))
        return ModelTimings(forwardMs: forward.median, forwardBackwardMs: backward.median, forwardBatch8Ms: batch8.median,
                            forwardMinMs: forward.min, forwardBackwardMinMs: backward.min)
    }

    func ratios(_ t: ModelTimings, peersFile: String) throws -> [String: Double] {
        let data = try Data(contentsOf: URL(fileURLWithPath: peersFile))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let results = root["results"] as? [String: Any] else {
            throw ValidationError("\(peersFile) is not a peer_timings.json (no \"results\")")
        }
        func peer(_ key: String) -> Double? { (results[key] as? [String: Any])?["median_ms"] as? Double }
        var out: [String: Double] = [:]
        print("\nspeed ratios (peer time / Glimpse time; > 1 means Glimpse is faster), peers from \(peersFile):")
        for (label, key, mine) in [("forward vs PyTorch", "forward", t.forwardMs),
                                   ("forward vs ONNX Runtime (2 threads)", "ort_forward_2t", t.forwardMs),
                                   ("forward+backward vs PyTorch", "fwd_bwd_input_grad", t.forwardBackwardMs),
                                   ("forward batch 8 vs PyTorch", "forward_batch8", t.forwardBatch8Ms)] {
            guard let p = peer(key) else { continue }
            out[key] = p / mine
            print(String(format: "  %-38@ peer %8.2f ms  glimpse %8.2f ms  ratio %.2f×", label as NSString, p, mine, p / mine))
        }
        return out
    }
}

struct KernelRow: Codable {
    let layer: String
    let input: [Int]
    let filter: [Int]
    let groups: Int
    let gflops: Double
    let sgemmGflops: Double?
    /// The input gradient (`Tensor.conv2dBackwardInput`, no fused activation) at the forward's FLOP count.
    let backwardGflops: Double
}

struct ModelTimings: Codable {
    var forwardMs = 0.0
    var forwardBackwardMs = 0.0
    var forwardBatch8Ms = 0.0
    var forwardMinMs = 0.0
    var forwardBackwardMinMs = 0.0
}

struct BenchReport: Codable {
    let model: String
    let blasCore: String
    let threads: Int
    var kernels: [KernelRow] = []
    var timings = ModelTimings()
    var ratios: [String: Double] = [:]
}
