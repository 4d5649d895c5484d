import GlimpseCore
import GlimpseModels
import GlimpseSaliency
import Testing

/// Inner-layer checks on the tiny network, where an independent Float64 reimplementation of the tail is cheap.
struct TinyNetworkTests {
    let model = SaliencyData.tiny
    let x: Tensor = try! SaliencyData.tensor("tiny_input.npy")

    /// The tiny network after its `pool` layer (conv2 3×3 pad 1, ReLU, global average pool, fc), in Float64.
    func tailLogit(_ pool: [Double], _ c: Int) -> Double {
        let sd = SaliencyData.tinyStateDict
        let w = sd["conv2.weight"]!.values, b = sd["conv2.bias"]!.values
        let fw = sd["fc.weight"]!.values, fb = sd["fc.bias"]!.values
        var logit = Double(fb[c])
        for o in 0..<16 {
            var total = 0.0
            for i in 0..<14 {
                for j in 0..<14 {
                    var v = Double(b[o])
                    for ci in 0..<8 {
                        for di in -1...1 where (0..<14).contains(i + di) {
                            for dj in -1...1 where (0..<14).contains(j + dj) {
                                v += Double(w[((o * 8 + ci) * 3 + di + 1) * 3 + dj + 1]) * pool[(ci * 14 + i + di) * 14 + j + dj]
                            }
                        }
                    }
                    total += max(v, 0)
                }
            }
            logit += Double(fw[c * 16 + o]) * total / 196
        }
        return logit
    }

    @Test func gradCAMWeightsMatchFiniteDifferencesAtAnInnerLayer() throws {
        let target = SaliencyTarget.logit(3)
        let evidence = try CAM.evidence(model, x, layer: "pool", target: target)
        let a = evidence.activations.scalars.map(Double.init)
        #expect(abs(tailLogit(a, 3) - Double(try model.logits(x).scalars[3])) <= 1e-5)
        // Grad-CAM's w_k = mean_ij ∂y/∂A_kij = (1/hw) · d/dε y(A + ε·1_k).
        let eps = 1e-4
        let fd = (0..<8).map { k -> Float in
            var up = a, down = a
            for i in (k * 196)..<((k + 1) * 196) { up[i] += eps; down[i] -= eps }
            return Float((tailLogit(up, 3) - tailLogit(down, 3)) / (2 * eps) / 196)
        }
        let weights = try GradCAM().channelWeights(evidence)
        let error = maxAbs(weights, try Tensor(fd, shape: [8, 1, 1]))
        print("tiny Grad-CAM weights at pool vs finite differences: max abs \(error) (of \(fd.map(abs).max()!))")
        #expect(error <= 1e-4 * fd.map(abs).max()!)
        // Below the head the gradient varies over space: HiResCAM and Grad-CAM differ.
        let hires = try HiResCAM().rawMap(evidence), grad = try GradCAM().rawMap(evidence)
        #expect(maxAbs(hires, grad) > 1e-3 * maxAbsValue(grad))
    }

    @Test func inputGradientMatchesPyTorch() throws {
        let g = try GradientMethods.gradient(model, x, target: .logit(3))
        let error = maxAbs(g, try SaliencyData.tensor("tiny_input_grad_logit3.npy"))
        print("tiny ∂logit3/∂x vs PyTorch: max abs \(error)")
        #expect(error <= 1e-6)
    }

    @Test func guidedAndDeconvnetMatchAFloat64Reference() throws {
        let reference = TinyBackwardReference(sd: SaliencyData.tinyStateDict)
        let image = x.scalars.map(Double.init)
        let cases: [(String, TinyBackwardReference.Rule, Tensor)] = [
            ("exact", .exact, try GradientMethods.gradient(model, x, target: .logit(3))),
            ("guided", .guided, try GradientMethods.guidedBackprop(model, x, target: .logit(3))),
            ("deconvnet", .deconvnet, try GradientMethods.deconvnet(model, x, target: .logit(3))),
        ]
        for (name, rule, g) in cases {
            let expected = try Tensor(reference.inputGradient(image, 3, rule).map(Float.init), shape: x.shape)
            let error = maxAbs(g, expected)
            print("tiny \(name) input gradient vs Float64 reference: max abs \(error) (of \(maxAbsValue(expected)))")
            #expect(error <= 1e-6, "\(name)")
        }
    }

    @Test func probabilityTargetFollowsTheSoftmaxDerivative() throws {
        // ∂p_c/∂x = p_c (∂z_c/∂x − Σ_j p_j ∂z_j/∂x).
        let p = try model.logits(x).softmax(axis: 1).scalars
        let logitGradients = try (0..<10).map { try GradientMethods.gradient(model, x, target: .logit($0)) }
        var mixed = Tensor(zeros: x.shape)
        for j in 0..<10 { mixed = try mixed + logitGradients[j] * p[j] }
        let expected = try (logitGradients[4] - mixed) * p[4]
        let g = try GradientMethods.gradient(model, x, target: .probability(4))
        #expect(maxAbs(g, expected) <= 1e-5 * maxAbsValue(expected))
    }

    /// The authors' Score-CAM written out as their code runs it: per channel, upsample (half-pixel), skip constant
    /// maps, min-max, score = probability of the masked input; map = min-max(ReLU(Σ_k s_k U_k)) at input resolution.
    @Test func originalScoreCAMFollowsTheAuthorsCode() throws {
        let evidence = try CAM.evidence(model, x, layer: "relu2", target: .probability(3))
        var sum = Tensor(zeros: [1, 1, 28, 28])
        for k in 0..<16 {
            let up = try evidence.activations.sliced(axis: 0, k..<(k + 1)).reshaped([1, 1, 14, 14]).resizedBilinear(height: 28, width: 28)
            let (lo, hi) = (up.scalars.min()!, up.scalars.max()!)
            guard hi > lo else { continue }
            let p = try model.logits(x * ((up - lo) / (hi - lo))).softmax(axis: 1).scalars[3]
            sum = try sum + up * p
        }
        let relu = sum.relu().scalars
        let (lo, hi) = (relu.min()!, relu.max()!)
        let expected = try Tensor(relu.map { ($0 - lo) / (hi - lo) }, shape: [28, 28])
        let map = try CAM.map(ScoreCAM(definition: .original, batchSize: 3), model: model, x, layer: "relu2", target: .probability(3)).map
        let error = maxAbs(map, expected)
        print("tiny original Score-CAM vs the authors' procedure: max abs \(error)")
        #expect(error <= 1e-5)
    }

    @Test(arguments: [false, true])
    func scoreCAMSharingEmptyMasksChangesNothing(zeroInput: Bool) throws {
        let input = zeroInput ? Tensor(zeros: x.shape) : x
        let evidence = try CAM.evidence(model, input, layer: "relu2", target: .logit(3))
        let channelMax = try evidence.activations.max(axes: [1, 2]).scalars
        print("tiny relu2: \(channelMax.filter { $0 == 0 }.count) of 16 channels all zero")
        // One masked input per forward: sharing must change no bit. (Batching itself moves the last bits of a
        // score, as the convolution kernels' summation order depends on the batch.)
        let shared = try ScoreCAM(batchSize: 1).scores(evidence)
        #expect(shared == (try ScoreCAM(batchSize: 1, shareEmptyMasks: false).scores(evidence)))
        let batched = try ScoreCAM(batchSize: 5).scores(evidence)
        #expect(maxAbs(try Tensor(batched, shape: [16]), try Tensor(shared, shape: [16])) <= 1e-6)
        if zeroInput { #expect(channelMax.contains(0)) }
    }
}
