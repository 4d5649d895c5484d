import Foundation
import GlimpseCore
import GlimpseModels
import GlimpseSaliency
import Testing

/// CAM methods against the pytorch-grad-cam 1.5.7 fixtures on chelsea, target logit 285, layer `_head_act`.
@Suite(.enabled(if: SaliencyData.hasWeights, "EfficientNet-Lite0 weights missing: run scripts/setup.sh"))
struct CAMFixtureTests {
    let model = SaliencyData.lite!
    let target = SaliencyTarget.logit(285)

    @Test(arguments: [("gradcam", "gradcam_raw_7x7.npy", "gradcam_224x224.npy", "cam_gradcam_weights_1280.npy"),
                      ("gradcam++", "cam_gradcampp_raw_7x7.npy", "cam_gradcampp_224x224.npy", "cam_gradcampp_weights_1280.npy"),
                      ("xgradcam", "cam_xgradcam_raw_7x7.npy", "cam_xgradcam_224x224.npy", "cam_xgradcam_weights_1280.npy"),
                      ("hirescam", "cam_hirescam_raw_7x7.npy", "cam_hirescam_224x224.npy", ""),
                      ("layercam", "cam_layercam_raw_7x7.npy", "cam_layercam_224x224.npy", "")])
    func matchesPytorchGradCam(method name: String, raw: String, full: String, weights: String) throws {
        let method = try CAM.method(named: name)
        let x = try SaliencyData.chelsea()
        let evidence = try CAM.evidence(model, x, layer: "_head_act", target: target)
        #expect(maxAbs(evidence.activations, try SaliencyData.tensor("head_act_1x1280x7x7.npy")) <= 5e-4)
        if !weights.isEmpty {
            let w = try method.channelWeights(evidence)
            let ref = try SaliencyData.tensor(weights)
            let error = maxAbs(w, ref)
            print("\(name): weights max abs \(error) (of \(maxAbsValue(ref)))")
            #expect(error <= 1e-4 * maxAbsValue(ref), "\(name) channel weights")
        }
        let (rawMap, map) = try CAM.map(method, model: model, x, layer: "_head_act", target: target)
        let refRaw = try SaliencyData.tensor(raw)
        let rawError = maxAbs(rawMap, refRaw), mapError = maxAbs(map, try SaliencyData.tensor(full))
        print("\(name): raw 7×7 max abs \(rawError) (of \(maxAbsValue(refRaw))), 224×224 max abs \(mapError)")
        #expect(rawError <= 1e-4 * maxAbsValue(refRaw))
        #expect(mapError <= 1e-4)
    }

    @Test func scoreCAMMatchesPytorchGradCam() throws {
        let x = try SaliencyData.chelsea()
        let start = Date()
        let evidence = try CAM.evidence(model, x, layer: "_head_act", target: target)
        let scoreCAM = ScoreCAM()
        let scoreValues = try scoreCAM.scores(evidence)
        let scores = try Tensor(scoreValues, shape: [1280])
        let weights = try ScoreCAM.weights(scores: scoreValues)
        let raw = try withoutGradient { try (evidence.activations * weights).sum(axes: [0]).relu() }
        let map = try CAM.normalizedMap(raw, height: 224, width: 224)
        print("Score-CAM on EfficientNet-Lite0: \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
        let errors = [maxAbs(scores, try SaliencyData.tensor("cam_scorecam_scores_1280.npy")),
                      maxAbs(weights, try SaliencyData.tensor("cam_scorecam_weights_1280.npy")),
                      maxAbs(raw, try SaliencyData.tensor("cam_scorecam_raw_7x7.npy")),
                      maxAbs(map, try SaliencyData.tensor("cam_scorecam_224x224.npy"))]
        print("Score-CAM: scores max abs \(errors[0]), weights \(errors[1]), raw 7×7 \(errors[2]), 224×224 \(errors[3])")
        #expect(errors[0] <= 2e-3)
        #expect(errors[1] <= 1e-5)
        #expect(errors[2] <= 1e-4 * maxAbsValue(try SaliencyData.tensor("cam_scorecam_raw_7x7.npy")))
        #expect(errors[3] <= 1e-4)
    }

    @Test func headIdentities() throws {
        // At _head_act only global average pooling and the linear layer follow, so G_kij = W_fc[c, k] / 49:
        // Grad-CAM, HiResCAM and XGrad-CAM maps coincide, and CAM's weights are the classifier's row.
        let x = try SaliencyData.chelsea()
        let results = try ["cam", "gradcam", "hirescam", "xgradcam"].map {
            try CAM.map(CAM.method(named: $0), model: model, x, layer: "_head_act", target: target)
        }
        #expect(maxAbs(results[1].map, results[2].map) <= 1e-4)
        #expect(maxAbs(results[1].map, results[3].map) <= 1e-4)
        #expect(maxAbs(results[0].map, results[1].map) <= 1e-4)
        #expect(maxAbs(results[0].raw, results[1].raw * 49) <= 1e-5 * maxAbsValue(results[0].raw))

        let fc = try #require(SaliencyData.liteStateDict?["_fc.weight"])
        let row = try Tensor(Array(fc.values[(285 * 1280)..<(286 * 1280)]), shape: [1280, 1, 1])
        let evidence = try CAM.evidence(model, x, layer: "_head_act", target: target)
        #expect(maxAbs(try ClassActivationMapping().channelWeights(evidence), row) <= 1e-5 * maxAbsValue(row))
    }

    @Test func timingAndErrors() throws {
        let x = try SaliencyData.chelsea()
        _ = try CAM.map(GradCAM(), model: model, x, layer: "_head_act", target: target)
        var times: [Double] = []
        for _ in 0..<10 {
            let start = Date()
            _ = try CAM.map(GradCAM(), model: model, x, layer: "_head_act", target: target)
            times.append(Date().timeIntervalSince(start) * 1000)
        }
        print("Grad-CAM on EfficientNet-Lite0: median \(String(format: "%.1f", times.sorted()[5])) ms (of 10 runs)")
        #expect(throws: SaliencyError.unknownMethod("nocam", known: CAM.methods.map(\.name))) { try CAM.method(named: "nocam") }
        #expect(throws: SaliencyError.targetOutOfRange("class", index: 1000, count: 1000)) {
            try CAM.map(GradCAM(), model: model, x, layer: "_head_act", target: .logit(1000))
        }
        #expect(throws: ModelError.self) { try CAM.map(GradCAM(), model: model, x, layer: "_no_layer", target: target) }
        #expect(throws: SaliencyError.self) { try CAM.map(GradCAM(), model: model, x, layer: "_avg_pool", target: target) }
        // Every CAM method is reachable from the command line under its own name.
        #expect(CAM.methods.allSatisfy { SaliencyMethod(rawValue: $0.name)?.usesLayer == true })
    }

    @Test func everyMethodRunsAtAnInnerLayer() throws {
        let x = try SaliencyData.chelsea()
        var options = SaliencyMethod.Options()
        options.layer = "_blocks.10"
        options.smoothGradSamples = 2
        options.integratedGradientsSteps = 4
        options.riseMasks = 8
        options.maskIterations = 2
        options.shapPermutations = 1
        for method in SaliencyMethod.modelOnlyCases where ![.scorecam, .scorecamOriginal].contains(method) {
            let map = try method.map(model: model, x, target: target, options: options)
            #expect(map.shape == [224, 224], "\(method)")
            #expect(map.isFinite && maxAbsValue(map) > 0, "\(method)")
        }
    }
}
