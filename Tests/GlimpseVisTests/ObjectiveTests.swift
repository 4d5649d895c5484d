import GlimpseCore
import GlimpseModels
import GlimpseVis
import Testing

@Suite struct ObjectiveTests {
    let model = SmallCNN(seed: 3)

    func forward(_ x: Tensor) throws -> ForwardResult { try model.run(x, capturing: ["conv1", "conv2"]) }

    @Test func valuesMatchTheirDefinitions() throws {
        var rng = SeededRNG(seed: 2)
        let x = Tensor.uniform([2, 3, 12, 12], rng: &rng)
        let r = try forward(x)
        let a = try r.layer("conv2")                                    // [2, 16, 6, 6]
        let channel = try a.sliced(axis: 1, 4..<5).mean().scalar
        #expect(abs(try Objective.channel("conv2", 4).value(r).scalar - channel) < 1e-6)
        #expect(try Objective.neuron("conv2", 4, batch: 1).value(r).scalar == a[1, 4, 3, 3])
        #expect(abs(try Objective.deepdream("conv2").value(r).scalar - a.squared().mean().scalar) < 1e-5)
        #expect(try Objective.classLogit(2, batch: 0).value(r).scalar == r.logits[0, 2])
        let combined = try (Objective.channel("conv2", 4) - 2 * .classLogit(2, batch: 0)).value(r).scalar
        #expect(abs(combined - (channel - 2 * r.logits[0, 2])) < 1e-5)
    }

    @Test func diversityIsBMinusOneForIdenticalImagesAndLowerOtherwise() throws {
        var rng = SeededRNG(seed: 2)
        let one = Tensor.uniform([1, 3, 12, 12], rng: &rng)
        let same = try Tensor.concatenate([one, one, one], axis: 0)
        #expect(abs(try Objective.diversity("conv2").value(forward(same)).scalar - 2) < 1e-4)
        #expect(try Objective.diversity("conv2").value(forward(one)).scalar == 0)
        let different = Tensor.uniform([3, 3, 12, 12], rng: &rng)
        #expect(try Objective.diversity("conv2").value(forward(different)).scalar < 2 - 1e-4)
    }

    @Test func parsing() throws {
        #expect(try Objective.parse("conv2:3").name == "conv2:3")
        #expect(try Objective.parse("_blocks.10:7").layers == ["_blocks.10"])
        #expect(try Objective.parse("conv1").name == "deepdream(conv1)")
        for bad in ["conv2:x", "conv2:-1", ":3", "", "a:1:2"] {
            #expect(throws: VisError.self) { try Objective.parse(bad) }
        }
    }

    @Test func evaluationWithAndWithoutTransforms() throws {
        var rng = SeededRNG(seed: 2)
        let x = Tensor.uniform([1, 3, 24, 24], rng: &rng)
        let objective = Objective.channel("conv2", 1)
        let plain = try objective.evaluate(model: model, images: x)
        #expect(plain == (try objective.value(forward(x)).scalar))
        let small: [ImageTransform] = [.pad(2, value: 0.5), .jitter(2)]
        let a = try objective.evaluate(model: model, images: x, transforms: small, samples: 4, seed: 1)
        #expect(a == (try objective.evaluate(model: model, images: x, transforms: small, samples: 4, seed: 1)))
        #expect(a.isFinite && a != plain)
    }
}
