import GlimpseCore
import GlimpseModels
import GlimpseVis
import Testing

/// A small seeded CNN built from engine ops: conv 3→8 (ReLU), conv 8→16 stride 2 (ReLU6), pool, linear 16→5.
final class SmallCNN: Classifier {
    let name = "small-cnn", inputSize = 32, inputChannels = 3, classCount = 5, minimumInputSize = 8
    let layerPaths = ["conv1", "conv2", "fc"]
    let defaultCAMLayer = "conv2"
    let w1: Tensor, w2: Tensor, fc: Tensor

    init(seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        w1 = Tensor.normal([8, 3, 3, 3], std: 0.5, rng: &rng)
        w2 = Tensor.normal([16, 8, 3, 3], std: 0.3, rng: &rng)
        fc = Tensor.normal([5, 16], std: 0.5, rng: &rng)
    }

    func normalizedInput(_ x: Tensor) throws -> Tensor { try x * 2 - 1 }
    func imageFromNormalized(_ x: Tensor) throws -> Tensor { try (x + 1) * 0.5 }
    func forward(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
        let h = pass.tap("conv1", try Tensor.conv2d(normalizedInput(x), filter: w1, options: .init(stride: 1, padding: 1)).relu())
        let g = pass.tap("conv2", try Tensor.conv2d(h, filter: w2, options: .init(stride: 2, padding: 1)).relu6())
        return pass.tap("fc", try Tensor.linear(g.globalAvgPool(), weight: fc, bias: nil))
    }
    func parameterCount(of path: String) -> Int { 0 }
    func kind(of path: String) -> String { "" }
}

@Suite struct VisTests {
    let model = SmallCNN(seed: 3)

    func run(_ objective: Objective, steps: Int, seed: UInt64 = 1, param: ImageParameterization? = nil) throws -> Rendering {
        var r = Renderer()
        r.steps = steps
        r.transforms = [.pad(2, value: 0.5), .jitter(2)]
        return try r.render(model: model, objective: objective,
                            parameterization: param ?? FourierImage(batch: 1, height: 32, width: 32), seed: seed)
    }

    @Test(arguments: ["channel", "neuron", "deepdream", "logit", "sum"])
    func everyObjectiveIncreases(kind: String) throws {
        let objective: Objective
        switch kind {
        case "channel": objective = .channel("conv2", 3)
        case "neuron": objective = .neuron("conv1", 2)
        case "deepdream": objective = .deepdream("conv1")
        case "logit": objective = .classLogit(1)
        default: objective = .channel("conv2", 1) + 0.5 * .channel("conv1", 4) - 0.1 * .deepdream("conv2")
        }
        let h = try run(objective, steps: 30).history
        let early = h.prefix(5).reduce(0, +) / 5, late = h.suffix(5).reduce(0, +) / 5
        #expect(late > early, "\(kind): objective went from \(early) to \(late)")
    }

    @Test func sameSeedSameImageBitForBit() throws {
        let a = try run(.channel("conv2", 0), steps: 10, seed: 7).images.scalars
        let b = try run(.channel("conv2", 0), steps: 10, seed: 7).images.scalars
        let c = try run(.channel("conv2", 0), steps: 10, seed: 8).images.scalars
        #expect(a == b)
        #expect(a != c)
    }

    @Test func fourierParameterizationGradientMatchesFiniteDifferences() throws {
        let param = try FourierImage(batch: 1, height: 10, width: 12)
        var rng = SeededRNG(seed: 5)
        let p0 = Tensor.normal([1, 3, 10, 7, 2], std: 0.2, rng: &rng)
        let r = Tensor.normal([1, 3, 10, 12], rng: &rng)
        func f(_ p: Tensor) throws -> Tensor { try (param.image(p) * r).sum() }
        let pt = p0.requiringGradient()
        let g = try gradient(of: try f(pt), wrt: [pt])[0].scalars
        let eps: Float = 1e-3
        var worst: Float = 0
        for i in stride(from: 0, to: p0.count, by: 7) {
            var a = p0, b = p0
            a.withUnsafeMutableBufferPointer { $0[i] += eps }
            b.withUnsafeMutableBufferPointer { $0[i] -= eps }
            let numeric = (try f(a).scalar - f(b).scalar) / (2 * eps)
            worst = max(worst, abs(numeric - g[i]) / (1e-2 + 2e-2 * abs(numeric)))
        }
        #expect(worst <= 1)
    }

    @Test func parsingAndErrors() throws {
        #expect(try Objective.parse("conv2:3").name == "conv2:3")
        #expect(try Objective.parse("conv1").layers == ["conv1"])
        #expect(throws: VisError.self) { try Objective.parse("conv2:x") }
        #expect(throws: ModelError.self) { try run(.channel("nope", 0), steps: 1) }
        #expect(throws: VisError.self) { try run(.channel("conv2", 99), steps: 1) }
        #expect(throws: VisError.self) { try FourierImage(batch: 0) }
    }

    @Test func transformsKeepImagesUsableAndAreSeeded() throws {
        var r1 = SeededRNG(seed: 4), r2 = SeededRNG(seed: 4)
        let x = Tensor.uniform([1, 3, 40, 40], rng: &r1)
        var a = x, b = x
        var s1 = SeededRNG(seed: 9), s2 = SeededRNG(seed: 9)
        for t in ImageTransform.standard { a = try t.apply(a, rng: &s1); b = try t.apply(b, rng: &s2) }
        #expect(a.scalars == b.scalars)
        #expect(a.shape[2] >= 40 && a.shape[2] <= 60)
        _ = r2
    }
}
