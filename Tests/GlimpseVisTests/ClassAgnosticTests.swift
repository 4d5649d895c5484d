import GlimpseCore
import GlimpseModels
import GlimpseVis
import Testing

/// The class-agnostic dual objective, its targets, and starting from images.
@Suite struct ClassAgnosticTests {
    static func imageSet(_ n: Int, seed: UInt64 = 9) -> Tensor {
        var rng = SeededRNG(seed: seed)
        return Tensor.uniform([n, 3, 32, 32], rng: &rng)
    }

    @Test func objectiveMatchesItsDefinition() throws {
        let model = SmallCNN(seed: 3)
        let x = Self.imageSet(1)
        let r = try model.run(x, capturing: ["conv2"])
        let a = try r.layer("conv2").mean(axes: [0, 2, 3]).scalars
        let t: [Float] = (0..<16).map { Float($0 % 5) * 0.1 }
        let value = try Objective.classAgnostic("conv2", target: t, topK: 3, distanceWeight: 2).value(r).scalar
        let top = [4, 9, 14]  // the three largest targets (0.4), lowest index first among ties
        let dot = top.reduce(Float(0)) { $0 + a[$1] * t[$1] }
        let rho = zip(a, t).reduce(Float(0)) { $0 + (($1.0 - $1.1) * ($1.0 - $1.1) + 1).squareRoot() - 1 } / 16
        #expect(abs(value - (dot - 2 * rho)) < 1e-5, "\(value) vs \(dot - 2 * rho)")
        #expect(throws: VisError.self) { try Objective.classAgnostic("conv2", target: [1, 2], topK: 1).value(r) }
        #expect(throws: VisError.self) { try Objective.classAgnostic("conv2", target: [], topK: 1) }
        #expect(throws: VisError.self) { try Objective.classAgnostic("conv2", target: t, topK: 0) }
    }

    @Test func gradientMatchesFiniteDifferences() throws {
        let model = SmallCNN(seed: 3)
        let t: [Float] = (0..<16).map { Float($0) * 0.07 }
        let objective = try Objective.classAgnostic("conv2", target: t, topK: 5) - 0.1 * .meanAbs("conv1")
        let x = Self.imageSet(1, seed: 4)
        let worst = try worstGradientError(at: x, every: 37, eps: 1e-3, atol: 1e-3, rtol: 3e-2) {
            try objective.value(model.run($0, capturing: objective.layers))
        }
        #expect(worst <= 1, "worst scaled error \(worst)")
    }

    @Test(arguments: ["noise", "images"])
    func optimisingTheDualObjectiveIncreasesIt(start: String) throws {
        let model = SmallCNN(seed: 3)
        let targets = try FeatureTargets.build(model: model, layer: "conv2", images: Self.imageSet(6), mode: .clusters(2), seed: 1)
        let objective = try Objective.classAgnostic("conv2", target: targets.vectors[0], topK: 4, batch: 0)
            + Objective.classAgnostic("conv2", target: targets.vectors[1], topK: 4, batch: 1)
        let param = try FourierImage(batch: 2, height: 32, width: 32)
        let from = start == "images" ? try param.parameters(for: targets.startImages) : nil
        var renderer = Renderer()
        renderer.steps = 30
        renderer.optimizer = .sgd
        renderer.learningRate = 0.05
        renderer.transforms = [.jitter(2)]
        let before = try objective.evaluate(model: model, images: from.map { try param.image($0) } ?? Tensor(repeating: 0.5, shape: [2, 3, 32, 32]))
        let r = try renderer.render(model: model, objective: objective, parameterization: param, seed: 3, from: from)
        let after = try objective.evaluate(model: model, images: r.images)
        #expect(after > before, "\(start): \(before) → \(after)")
    }

    @Test func targetsByMode() throws {
        let model = SmallCNN(seed: 3)
        let images = Self.imageSet(7)
        let each = try FeatureTargets.build(model: model, layer: "conv2", images: images, mode: .each)
        #expect(each.vectors.count == 7 && each.vectors[0].count == 16 && each.startImages.shape == [7, 3, 32, 32])
        #expect(try each.startImages.scalars == images.scalars)
        let mean = try FeatureTargets.build(model: model, layer: "conv2", images: images, mode: .mean)
        #expect(mean.vectors.count == 1)
        for c in 0..<16 {
            #expect(abs(mean.vectors[0][c] - each.vectors.reduce(0) { $0 + $1[c] } / 7) < 1e-5)
        }
        let a = try FeatureTargets.build(model: model, layer: "conv2", images: images, mode: .clusters(3), nearest: 2, seed: 5)
        let b = try FeatureTargets.build(model: model, layer: "conv2", images: images, mode: .clusters(3), nearest: 2, seed: 5)
        #expect(a.vectors == b.vectors && a.vectors.count == 3)
        #expect(a.members.allSatisfy { m in m.count <= 2 && abs(m.reduce(0) { $0 + $1.weight } - 1) < 1e-5 })
        #expect(throws: VisError.self) { try FeatureTargets.build(model: model, layer: "conv2", images: images, mode: .clusters(8)) }
        #expect(throws: VisError.self) { try FeatureTargets.build(model: model, layer: "fc", images: images, mode: .mean) }
    }

    @Test func parameterizationsStartFromImages() throws {
        var rng = SeededRNG(seed: 8)
        let images = Tensor.uniform([2, 3, 12, 10], low: 0.05, high: 0.95, rng: &rng)
        let fourier = try FourierImage(batch: 2, height: 12, width: 10)
        let pixel = try PixelImage(batch: 2, height: 12, width: 10)
        for back in [try fourier.image(fourier.parameters(for: images)), try pixel.image(pixel.parameters(for: images))] {
            #expect(zip(back.scalars, images.scalars).allSatisfy { abs($0 - $1) < 1e-4 })
        }
        #expect(throws: TensorError.self) { try pixel.parameters(for: Tensor(zeros: [1, 3, 12, 10])) }
    }
}
