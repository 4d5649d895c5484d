import Foundation
import GlimpseCore
import GlimpseModels
import GlimpseSaliency
import Testing

/// The perturbation CAMs on EfficientNet-Lite0 at `_head_act`, where the tail (global average pooling + linear)
/// is linear: a logit target is then exactly b_c + CAM/49, which gives exact answers for several methods.
@Suite(.serialized, .enabled(if: SaliencyData.hasWeights, "EfficientNet-Lite0 weights missing: run scripts/setup.sh"))
struct PerturbationCAMTests {
    let model = SaliencyData.lite!
    let target = SaliencyTarget.logit(285)

    func evidence() throws -> LayerEvidence {
        try CAM.evidence(model, SaliencyData.chelsea(), layer: "_head_act", target: target)
    }

    /// The signed CAM map Σ_k W_ck A_k [7, 7].
    func signedCAM(_ e: LayerEvidence) throws -> Tensor {
        try (e.activations * ClassActivationMapping().channelWeights(e)).sum(axes: [0])
    }

    @Test func ablationCAMMatchesPytorchGradCam() throws {
        let e = try evidence()
        let start = Date()
        let w = try AblationCAM().channelWeights(e)
        let seconds = Date().timeIntervalSince(start)
        let raw = try AblationCAM().rawMap(e)
        let map = try CAM.normalizedMap(raw, height: 224, width: 224)
        let refW = try SaliencyData.tensor("cam_ablationcam_weights_1280.npy")
        let refRaw = try SaliencyData.tensor("cam_ablationcam_raw_7x7.npy")
        let errors = [maxAbs(w, refW), maxAbs(raw, refRaw), maxAbs(map, try SaliencyData.tensor("cam_ablationcam_224x224.npy"))]
        print("Ablation-CAM: \(String(format: "%.1f", seconds * 1000)) ms for 1280 ablations; weights max abs \(errors[0]) (of \(maxAbsValue(refW))), raw \(errors[1]) (of \(maxAbsValue(refRaw))), 224×224 \(errors[2])")
        #expect(errors[0] <= 1e-4 * maxAbsValue(refW))
        #expect(errors[1] <= 1e-4 * maxAbsValue(refRaw))
        #expect(errors[2] <= 1e-4)
        // At a linear tail, y − y_k = W_ck · mean(A_k): Ablation-CAM is CAM scaled by 1/y.
        let y = try e.tailScore()
        let expected = try e.activations.mean(axes: [1, 2], keepDims: true) * ClassActivationMapping().channelWeights(e) * (1 / y)
        #expect(maxAbs(w, expected) <= 1e-3 * maxAbsValue(expected))
    }

    @Test func reciproCAMLogitsAreTheCAMMap() throws {
        let e = try evidence()
        let logits = try ReciproCAM(scoreLogits: true).rawMap(e)
        let cam = try signedCAM(e) * (1 / 49)
        // logit(only position p kept) = b_c + CAM_p / 49: equal after removing the constant.
        let offset = logits.scalars[0] - cam.scalars[0]
        #expect(maxAbs(logits - offset, cam) <= 1e-4 * maxAbsValue(cam))
        // Probabilities are a monotone function of the same logits here only if the other classes do not move:
        // they do, so the default map differs but must stay in (0, 1).
        let p = try ReciproCAM().rawMap(e)
        #expect(p.scalars.allSatisfy { $0 > 0 && $0 < 1 })
        let g = try ReciproCAM(gaussian: true, scoreLogits: true).rawMap(e)
        #expect(g.shape == [7, 7] && maxAbs(g, logits) > 0)
    }

    @Test func shapCAMIsExactForALinearTail() throws {
        let e = try evidence()
        let cam = try signedCAM(e)
        let phi = try ShapCAM(permutations: 2, seed: 1).rawMap(e)
        // φ_p = (CAM_p − mean CAM) / 49 for v linear in the activations, whatever the permutations.
        let expected = try (cam - cam.mean()) * (1 / 49)
        #expect(maxAbs(phi, expected) <= 1e-3 * maxAbsValue(expected))
        // Efficiency for a non-linear target: Σ φ = v(all) − v(none) exactly for every permutation.
        let pe = e.probabilityEvidence(285)
        let phiP = try ShapCAM(permutations: 3, seed: 7).rawMap(pe)
        let all = try pe.tailScore()
        let means = try e.activations.mean(axes: [1, 2], keepDims: true)
        let none = try pe.tailScores(count: 1) { _, a in
            let n = 49
            for k in 0..<1280 { for i in 0..<n { a[k * n + i] = means.scalars[k] } }
        }[0]
        #expect(abs(phiP.scalars.reduce(0, +) - (all - none)) <= 1e-4)
        #expect(maxAbs(try ShapCAM(permutations: 3, seed: 7).rawMap(pe), phiP) == 0, "seeded")
    }

    @Test func fdCAMScoresAreTwiceTheGroupsContribution() throws {
        let e = try evidence()
        let fd = FDCAM()
        let s = try fd.scores(e)
        let groups = try fd.groups(e)
        // With a linear tail, y(A ⊙ 1[G]) = b + Σ_{j∈G} u_j and y − y(A ⊙ 1[¬G]) = Σ_{j∈G} u_j, u_j = W_cj mean(A_j).
        let u = try (e.activations.mean(axes: [1, 2], keepDims: true) * ClassActivationMapping().channelWeights(e)).scalars
        let b = try e.tailScore() - u.reduce(0, +)
        let active = (0..<1280).filter { k in e.activations.scalars[(k * 49)..<((k + 1) * 49)].contains { $0 > 0 } }
        for k in [active[0], active[17], active[200], active.last!] {
            let expected = b + 2 * zip(groups[k], u).reduce(Float(0)) { $0 + ($1.0 ? $1.1 : 0) }
            #expect(abs(s[k] - expected) <= 1e-3 * max(1, abs(expected)), "channel \(k)")
            #expect(groups[k][k], "a channel belongs to its own group")
            let size = groups[k].filter { $0 }.count
            #expect((60...66).contains(size), "top 5% of 1280 channels: \(size)")
        }
        let w = try fd.channelWeights(e).scalars
        #expect(w.allSatisfy { $0 >= -0.5 && $0 <= Float(M_E) - 0.5 })
    }

    @Test func affineShortcutEqualsRunningTheTail() throws {
        let e = try evidence()
        #expect(e.usesAffineTail && !e.probabilityEvidence(285).usesAffineTail)
        var rng = SeededRNG(seed: 5)
        let edits = (0..<40).map { _ in (Int(rng.next() % 62720), Int(rng.next() % 1280), rng.nextUniform() * 6) }
        // Ablate a channel, keep one position, overwrite a few values.
        let modify: (Int, UnsafeMutableBufferPointer<Float>) -> Void = { i, a in
            let (index, channel, value) = edits[i]
            switch i % 3 {
            case 0: for j in (channel * 49)..<((channel + 1) * 49) { a[j] = 0 }
            case 1: for j in 0..<62720 where j % 49 != index % 49 { a[j] = 0 }
            default: a[index] = value
            }
        }
        let shortcut = try e.tailScores(count: 40, modify)
        let tail = try e.tailScores(count: 40, runTail: true, modify)
        #expect(maxAbs(try Tensor(shortcut, shape: [40]), try Tensor(tail, shape: [40])) <= 2e-4)
    }

    @Test func tailMethodsAreCheap() throws {
        let e = try evidence()
        func ms(_ body: () throws -> Void) rethrows -> Double {
            try body()
            let start = Date()
            for _ in 0..<3 { try body() }
            return Date().timeIntervalSince(start) * 1000 / 3
        }
        let x = try SaliencyData.chelsea()
        let forward = try ms { _ = try model.logits(x) }
        let recipro = try ms { _ = try ReciproCAM().rawMap(e) }
        let ablation = try ms { _ = try AblationCAM().channelWeights(e) }
        print(String(format: "forward %.1f ms; after the forward: Recipro-CAM %.1f ms, Ablation-CAM %.1f ms", forward, recipro, ablation))
        #expect(throws: ModelError.self) {
            try AblationCAM().channelWeights(CAM.evidence(model, x, layer: "_blocks.15._project_conv", target: target))
        }
    }
}

extension LayerEvidence {
    func probabilityEvidence(_ c: Int) -> LayerEvidence {
        LayerEvidence(activations: activations, gradients: gradients, model: model, input: input, target: .probability(c), layer: layer)
    }
}
