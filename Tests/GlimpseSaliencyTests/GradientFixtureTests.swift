import GlimpseCore
import GlimpseSaliency
import Testing

/// Gradient methods against the Captum / PyTorch fixtures on chelsea, target logit 285. Fixtures are with respect
/// to the normalised input; gradients with respect to the [0, 1] image are rescaled by 128/255.
@Suite(.enabled(if: SaliencyData.hasWeights, "EfficientNet-Lite0 weights missing: run scripts/setup.sh"))
struct GradientFixtureTests {
    let model = SaliencyData.lite!
    let target = SaliencyTarget.logit(285)

    func expectGlobalMatch(_ a: Tensor, _ reference: String, _ what: String) throws {
        let (cosine, relative) = cosineAndRelative(a, try SaliencyData.tensor(reference))
        print("\(what): cosine \(cosine), relative L2 \(relative)")
        #expect(cosine >= 0.999, "\(what) cosine")
        #expect(relative <= 2e-2, "\(what) relative L2")
    }

    @Test func vanillaGradient() throws {
        let g = try GradientMethods.gradient(model, SaliencyData.chelsea(), target: target) * SaliencyData.toNormalized
        try expectGlobalMatch(g, "input_grad_top1_1x3x224x224.npy", "vanilla gradient")
        try expectGlobalMatch(try GradientMethods.maxAbsOverChannels(g), "saliency_vanilla_224x224.npy", "vanilla saliency map")
    }

    @Test func guidedBackpropWithTheReLU6Rule() throws {
        let x = try SaliencyData.chelsea()
        let guided = try GradientMethods.guidedBackprop(model, x, target: target) * SaliencyData.toNormalized
        try expectGlobalMatch(guided, "guided_backprop_1x3x224x224.npy", "guided backprop (ReLU6 rule)")
        // The peers' failure mode: returning the plain gradient. Ours must differ from it.
        let (cosine, _) = cosineAndRelative(guided, try SaliencyData.tensor("input_grad_top1_1x3x224x224.npy"))
        #expect(cosine < 0.9)
    }

    @Test func smoothGradWithTheFixtureNoise() throws {
        let x = try SaliencyData.chelsea()
        let noise = try SaliencyData.tensor("smoothgrad_noise_8x3x224x224_f16.npy")
        // The fixture's noise was added to the normalised input: in [0, 1] units it is scaled by 128/255.
        let draws = try (0..<8).map { try noise.sliced(axis: 0, $0..<($0 + 1)) * SaliencyData.toNormalized }
        var rng = SeededRNG(seed: 0)
        let grads = try GradientMethods.smoothGrad(model, x, target: target, noise: draws, rng: &rng)
        let mean = try Tensor.concatenate(grads, axis: 0).mean(axes: [0], keepDims: true) * SaliencyData.toNormalized
        try expectGlobalMatch(mean, "smoothgrad_grad_mean_1x3x224x224.npy", "SmoothGrad mean gradient")
        let maps = try grads.map { try GradientMethods.maxAbsOverChannels($0 * SaliencyData.toNormalized) }
        try expectGlobalMatch(try Tensor.stack(maps).mean(axes: [0]), "smoothgrad_224x224.npy", "SmoothGrad map")
    }

    @Test func integratedGradients() throws {
        let x = try SaliencyData.chelsea()
        let baseline = try model.imageFromNormalized(Tensor(zeros: x.shape))     // 0 in the normalised space
        let ig = try GradientMethods.integratedGradients(model, x, target: target, baseline: baseline, steps: 32)
        // (x − x′) · ∂f/∂x is the same in both spaces: no rescaling.
        try expectGlobalMatch(ig, "ig_zero_32_1x3x224x224.npy", "Integrated Gradients")
    }
}
