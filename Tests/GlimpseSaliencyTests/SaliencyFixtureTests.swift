import Foundation
import GlimpseCore
import GlimpseFormats
import GlimpseModels
import GlimpseSaliency
import Testing

enum SaliencyData {
    static let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    static func tensor(_ name: String) throws -> Tensor {
        let a = try NPY.load(contentsOf: folder.appendingPathComponent(name))
        return try Tensor(a.values, shape: a.shape)
    }
    static var weights: URL {
        let cache = ProcessInfo.processInfo.environment["GLIMPSE_CACHE"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/glimpse")
        return cache.appendingPathComponent("efficientnet-lite0-57934424.pth")
    }
    static let lite: EfficientNetLite0? = {
        guard FileManager.default.fileExists(atPath: weights.path) else {
            print("skipped: EfficientNet-Lite0 weights missing at \(weights.path) (run scripts/setup.sh)")
            return nil
        }
        return try? EfficientNetLite0(stateDict: TorchCheckpoint.load(contentsOf: weights))
    }()
    /// The fixtures' normalised input x, as the [0, 1] image the model takes.
    static func chelsea() throws -> Tensor { try (tensor("input_1x3x224x224.npy") * 128 + 127) * (1 / 255) }
    /// d/dx = d/dx01 · 128/255 (fixtures are gradients w.r.t. the normalised input).
    static let toNormalized: Float = 128 / 255
}

func maxAbs(_ a: Tensor, _ b: Tensor) -> Float { zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) } }
func maxAbsValue(_ a: Tensor) -> Float { a.scalars.reduce(0) { max($0, abs($1)) } }

func cosineAndRelative(_ a: Tensor, _ b: Tensor) -> (Double, Double) {
    var dot = 0.0, na = 0.0, nb = 0.0, d = 0.0
    for (x, y) in zip(a.scalars, b.scalars) {
        dot += Double(x) * Double(y); na += Double(x * x); nb += Double(y * y); d += Double((x - y) * (x - y))
    }
    return (dot / (na * nb).squareRoot(), (d / nb).squareRoot())
}

/// Saliency methods against the pytorch-grad-cam / Captum fixtures on chelsea, target 285, layer `_head_act`.
@Suite(.enabled(if: SaliencyData.lite != nil, "EfficientNet-Lite0 weights missing: run scripts/setup.sh"))
struct SaliencyFixtureTests {
    let model = SaliencyData.lite!
    let target = SaliencyTarget.logit(285)

    @Test(arguments: [("gradcam", "gradcam_raw_7x7.npy", "gradcam_224x224.npy", "cam_gradcam_weights_1280.npy"),
                      ("gradcam++", "cam_gradcampp_raw_7x7.npy", "cam_gradcampp_224x224.npy", "cam_gradcampp_weights_1280.npy"),
                      ("xgradcam", "cam_xgradcam_raw_7x7.npy", "cam_xgradcam_224x224.npy", "cam_xgradcam_weights_1280.npy"),
                      ("hirescam", "cam_hirescam_raw_7x7.npy", "cam_hirescam_224x224.npy", ""),
                      ("layercam", "cam_layercam_raw_7x7.npy", "cam_layercam_224x224.npy", "")])
    func camMatchesPytorchGradCam(method name: String, raw: String, full: String, weights: String) throws {
        let method = try CAM.method(named: name)
        let x = try SaliencyData.chelsea()
        let evidence = try CAM.evidence(model, x, layer: "_head_act", target: target)
        #expect(maxAbs(evidence.activations, try SaliencyData.tensor("head_act_1x1280x7x7.npy").reshaped([1280, 7, 7])) <= 5e-4)
        if !weights.isEmpty {
            let w = try Tensor(method.channelWeights(evidence), shape: [1280])
            let ref = try SaliencyData.tensor(weights)
            #expect(maxAbs(w, ref) <= 1e-4 * maxAbsValue(ref), "\(name) channel weights")
        }
        let (rawMap, map) = try CAM.map(method, model: model, x, layer: "_head_act", target: target)
        let refRaw = try SaliencyData.tensor(raw)
        let rawError = maxAbs(rawMap, refRaw), mapError = maxAbs(map, try SaliencyData.tensor(full))
        print("\(name): raw 7×7 max abs \(rawError) (of \(maxAbsValue(refRaw))), 224×224 max abs \(mapError)")
        #expect(rawError <= 1e-4 * maxAbsValue(refRaw))
        #expect(mapError <= 1e-4)
    }

    @Test func headIdentities() throws {
        // At _head_act only a global average pool and the linear layer follow, so G is constant per channel:
        // Grad-CAM, HiResCAM and XGrad-CAM maps coincide there.
        let x = try SaliencyData.chelsea()
        let maps = try ["gradcam", "hirescam", "xgradcam"].map { try CAM.map(CAM.method(named: $0), model: model, x, layer: "_head_act", target: target).map }
        #expect(maxAbs(maps[0], maps[1]) <= 1e-4)
        #expect(maxAbs(maps[0], maps[2]) <= 1e-4)
    }

    @Test func scoreCamMatchesPytorchGradCam() throws {
        let x = try SaliencyData.chelsea()
        let start = Date()
        let (scores, weights, raw) = try ScoreCAM().compute(model: model, x, layer: "_head_act", target: target)
        print("Score-CAM on EfficientNet-Lite0: \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
        #expect(maxAbs(try Tensor(scores, shape: [1280]), try SaliencyData.tensor("cam_scorecam_scores_1280.npy")) <= 2e-3)
        #expect(maxAbs(try Tensor(weights, shape: [1280]), try SaliencyData.tensor("cam_scorecam_weights_1280.npy")) <= 1e-5)
        let refRaw = try SaliencyData.tensor("cam_scorecam_raw_7x7.npy")
        #expect(maxAbs(raw, refRaw) <= 1e-4 * maxAbsValue(refRaw) + 1e-6)
        #expect(maxAbs(try CAM.normalizedMap(raw, height: 224, width: 224), try SaliencyData.tensor("cam_scorecam_224x224.npy")) <= 1e-4)
    }

    func expectGlobalMatch(_ a: Tensor, _ reference: String, _ what: String) throws {
        let (cosine, relative) = cosineAndRelative(a, try SaliencyData.tensor(reference))
        print("\(what): cosine \(cosine), relative L2 \(relative)")
        #expect(cosine >= 0.999, "\(what) cosine")
        #expect(relative <= 2e-2, "\(what) relative L2")
    }

    @Test func vanillaGradientAndGuidedBackprop() throws {
        let x = try SaliencyData.chelsea()
        let g = try GradientMethods.gradient(model, x, target: target) * SaliencyData.toNormalized
        try expectGlobalMatch(g, "input_grad_top1_1x3x224x224.npy", "vanilla gradient")
        try expectGlobalMatch(try GradientMethods.maxAbsOverChannels(g), "saliency_vanilla_224x224.npy", "vanilla saliency map")
        let guided = try GradientMethods.guidedBackprop(model, x, target: target) * SaliencyData.toNormalized
        try expectGlobalMatch(guided, "guided_backprop_1x3x224x224.npy", "guided backprop (ReLU6 rule)")
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
        let meanMap = try Tensor.stack(maps).mean(axes: [0])
        try expectGlobalMatch(meanMap, "smoothgrad_224x224.npy", "SmoothGrad map")
    }

    @Test func integratedGradients() throws {
        let x = try SaliencyData.chelsea()
        let baseline = Tensor(repeating: 127 / 255, shape: x.shape)      // 0 in the normalised space
        let ig = try GradientMethods.integratedGradients(model, x, target: target, baseline: baseline, steps: 32)
        // (x − x′)·∂f/∂x is the same in both spaces: no rescaling.
        try expectGlobalMatch(ig, "ig_zero_32_1x3x224x224.npy", "Integrated Gradients")
    }

    @Test func gradCamTiming() throws {
        let x = try SaliencyData.chelsea()
        _ = try CAM.map(GradCAM(), model: model, x, layer: "_head_act", target: target)
        var times: [Double] = []
        for _ in 0..<10 {
            let start = Date()
            _ = try CAM.map(GradCAM(), model: model, x, layer: "_head_act", target: target)
            times.append(Date().timeIntervalSince(start) * 1000)
        }
        print("Grad-CAM on EfficientNet-Lite0: median \(String(format: "%.1f", times.sorted()[5])) ms")
        #expect(throws: SaliencyError.self) { try CAM.method(named: "nocam") }
        #expect(throws: SaliencyError.self) { try CAM.map(GradCAM(), model: model, x, layer: "_head_act", target: .logit(1000)) }
        #expect(throws: ModelError.self) { try CAM.map(GradCAM(), model: model, x, layer: "_no_layer", target: target) }
    }
}
