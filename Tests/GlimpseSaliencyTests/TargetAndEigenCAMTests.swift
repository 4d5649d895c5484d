import GlimpseCore
import GlimpseModels
import GlimpseSaliency
import Testing

struct TargetTests {
    let model = SaliencyData.tiny

    @Test func targetsReadTheForwardPass() throws {
        let x = try Tensor.concatenate([SaliencyData.tensor("tiny_input.npy"), Tensor(repeating: 0.5, shape: [1, 1, 28, 28])], axis: 0)
        let result = try model.run(x, capturing: ["relu2", "gap"])
        let logits = result.logits.scalars
        #expect(try SaliencyTarget.logit(3).perImage(result).scalars == [logits[3], logits[13]])
        let p = try result.logits.softmax(axis: 1).scalars
        #expect(try SaliencyTarget.probability(7).perImage(result).scalars == [p[7], p[17]])
        let channel = try SaliencyTarget.channel(layer: "relu2", index: 2).perImage(result)
        let expected = try result.layer("relu2").sliced(axis: 1, 2..<3).mean(axes: [1, 2, 3])
        #expect(maxAbs(channel, expected) <= 1e-7)
        // The pooled value of a channel is the channel's spatial mean.
        #expect(maxAbs(try SaliencyTarget.channel(layer: "gap", index: 2).perImage(result), expected) <= 1e-6)
    }

    @Test func channelTargetsAreDifferentiable() throws {
        let x = try SaliencyData.tensor("tiny_input.npy")
        let g = try GradientMethods.gradient(model, x, target: .channel(layer: "conv2", index: 5))
        #expect(g.shape == x.shape && maxAbsValue(g) > 0)
    }

    @Test func outOfRangeTargetsThrow() throws {
        let x = try SaliencyData.tensor("tiny_input.npy")
        #expect(throws: SaliencyError.targetOutOfRange("class", index: 10, count: 10)) {
            try GradientMethods.gradient(model, x, target: .probability(10))
        }
        #expect(throws: SaliencyError.targetOutOfRange("channel of relu2", index: 16, count: 16)) {
            try GradientMethods.gradient(model, x, target: .channel(layer: "relu2", index: 16))
        }
        #expect(throws: ModelError.self) { try GradientMethods.gradient(model, x, target: .channel(layer: "nope", index: 0)) }
    }
}

struct EigenCAMTests {
    /// Activations A_k = a_k · p + c_k: centred, they are the rank-1 matrix (p − p̄) aᵀ, whose first principal
    /// component is p − p̄; the map is ReLU of it, signed so that its largest magnitude is positive.
    /// Both Gram orientations: fewer channels than positions, and more.
    @Test(arguments: [(6, 4), (20, 2)])
    func recoversTheDominantSpatialPattern(channels c: Int, side: Int) throws {
        let n = side * side
        let p = (0..<n).map { Float($0 % 5) - 1.5 * Float($0 / 3) }
        let a = (0..<c).map { Float($0 % 7) * 0.4 - 1.1 }, offset = (0..<c).map { Float($0 % 3) - 0.5 }
        let values = (0..<c).flatMap { k in p.map { a[k] * $0 + offset[k] } }
        let evidence = LayerEvidence(activations: try Tensor(values, shape: [c, side, side]), gradients: Tensor(zeros: [c, side, side]),
                                     model: SaliencyData.tiny, input: Tensor(zeros: [1, 1, 28, 28]), target: .logit(0))
        let mean = p.reduce(0, +) / Float(n)
        var centred = p.map { $0 - mean }
        if (centred.max() ?? 0) < -(centred.min() ?? 0) { centred = centred.map { -$0 } }
        let expected = centred.map { max($0, 0) }
        let raw = try EigenCAM().rawMap(evidence)
        let scale = maxAbsValue(raw) / expected.max()!
        #expect(maxAbs(raw, try Tensor(expected.map { $0 * scale }, shape: [side, side])) <= 1e-4 * maxAbsValue(raw))
        // |v₁| = 1, and it is ± a / ‖a‖.
        let v = try EigenCAM().channelWeights(evidence).scalars
        let norm = a.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(zip(v, a).allSatisfy { abs(abs($0) - abs($1) / norm) <= 1e-5 })
    }

    @Test func constantActivationsGiveAnEmptyMap() throws {
        let evidence = LayerEvidence(activations: Tensor(repeating: 2, shape: [3, 4, 4]), gradients: Tensor(zeros: [3, 4, 4]),
                                     model: SaliencyData.tiny, input: Tensor(zeros: [1, 1, 28, 28]), target: .logit(0))
        #expect(maxAbsValue(try EigenCAM().rawMap(evidence)) == 0)
    }
}
