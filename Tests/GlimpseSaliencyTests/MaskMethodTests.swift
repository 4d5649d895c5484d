import Foundation
import GlimpseCore
import GlimpseModels
import GlimpseSaliency
import Testing

/// Abs-CAM and SESS on the tiny network (RISE and MASK: GlimpseMetricsTests, on the evidence model).
struct MaskMethodTests {
    @Test func absCAMMatchesAnIndependentComputationAndIgnoresGradientSigns() throws {
        let model = SaliencyData.tiny
        let x = try SaliencyData.tensor("tiny_input.npy")
        let e = try CAM.evidence(model, x, layer: "relu2", target: .logit(3))
        let map = try AbsCAM().rawMap(e)
        // Reference: per channel, half-pixel upsampled min-max mask on the input, softmax probability of class 3.
        let (c, n) = (16, 196)
        let a = e.activations.scalars, g = e.gradients.scalars
        var expected = [Float](repeating: 0, count: n)
        for k in 0..<c {
            let row = Array(a[(k * n)..<((k + 1) * n)])
            guard g[(k * n)..<((k + 1) * n)].contains(where: { $0 != 0 }), let lo = row.min(), let hi = row.max(), hi > lo else { continue }
            let up = try Tensor(row, shape: [1, 1, 14, 14]).resizedBilinear(height: 28, width: 28).scalars
            let (ulo, uhi) = (up.min()!, up.max()!)
            let mask = try Tensor(up.map { ($0 - ulo) / (uhi - ulo) }, shape: [1, 1, 28, 28])
            let p = try model.logits(x * mask).softmax(axis: 1).scalars[3]
            for i in 0..<n { expected[i] += p * (row[i] - lo) / (hi - lo) }
        }
        #expect(maxAbs(map, try Tensor(expected.map { max($0, 0) }, shape: [14, 14])) <= 1e-5 * maxAbsValue(map))
        let flipped = LayerEvidence(activations: e.activations, gradients: e.gradients * -1, model: model, input: e.input,
                                    target: e.target, layer: e.layer)
        #expect(maxAbs(try AbsCAM().rawMap(flipped), map) == 0)
    }

    @Test func sessWithOneScaleIsTheNormalisedBaseMap() throws {
        let model = SaliencyData.tiny
        let x = try SaliencyData.tensor("tiny_input.npy")
        var sess = SESS(base: .gradcam)
        sess.scales = 1
        sess.smooth = false
        let base = try SaliencyMethod.gradcam.map(model: model, x, target: .logit(3))
        let lo = base.scalars.min()!, hi = base.scalars.max()!
        #expect(maxAbs(try sess.map(model: model, x, target: .logit(3)), (base - lo) * (1 / (hi - lo))) <= 1e-5)
        // 12 scales of a 224 window with stride 224: 122 patches, as the paper counts.
        let patches = (0..<12).map { i -> Int in
            let starts = SESS.windowStarts(224 + 64 * i, 224).count
            return starts * starts
        }.reduce(0, +)
        #expect(patches == 122)
        sess.scales = 3
        sess.smooth = true
        let full = try sess.map(model: model, x, target: .logit(3))
        #expect(full.shape == [28, 28] && full.scalars.max() == 1 && full.scalars.min()! >= 0)
        #expect(try SaliencySpec(parsing: "sess:gradcam") == SaliencySpec(.gradcam, sess: true))
        #expect(throws: SaliencyError.self) { try SaliencySpec(parsing: "sess:nothing") }
    }
}
