import Foundation
import GlimpseCore
import GlimpseModels
import GlimpseSaliency
import Testing

/// Abs-CAM, RISE, MASK and SESS on small networks with answers known in advance.
struct MaskMethodTests {
    /// A model whose class 0 depends only on a known region E (rows 8..<16, columns 16..<24 of 32×32).
    let evidence = EvidenceModel(rows: 8..<16, columns: 16..<24)

    func insideOutside(_ map: Tensor) throws -> (inside: Float, outside: Float) {
        let e = try evidence.regionMap().scalars, m = map.scalars
        let inside = zip(m, e).filter { $0.1 > 0 }.map(\.0), outside = zip(m, e).filter { $0.1 == 0 }.map(\.0)
        return (inside.reduce(0, +) / Float(inside.count), outside.reduce(0, +) / Float(outside.count))
    }

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

    @Test func riseFindsTheEvidenceAndIsSeeded() throws {
        let x = try evidence.image()
        let rise = RISE(masks: 400, cells: 4, keepProbability: 0.5, seed: 11)
        let map = try rise.map(model: evidence, x, target: .logit(0))
        let (inside, outside) = try insideOutside(map)
        #expect(inside > outside + 0.1, "inside \(inside), outside \(outside)")
        #expect(maxAbs(try rise.map(model: evidence, x, target: .logit(0)), map) == 0)
        // Masks that keep everything: every pixel gets p(x) exactly.
        let all = try RISE(masks: 3, cells: 4, keepProbability: 1, seed: 1).map(model: evidence, x, target: .logit(0))
        let p = try evidence.logits(x).softmax(axis: 1).scalars[0]
        #expect(all.scalars.allSatisfy { abs($0 - p) <= 1e-5 })
        #expect(throws: SaliencyError.self) { try RISE(masks: 0).map(model: evidence, x, target: .logit(0)) }
    }

    @Test func meaningfulPerturbationDeletesTheEvidence() throws {
        let x = try evidence.image()
        var mask = MeaningfulPerturbation()
        mask.iterations = 60
        mask.maskScale = 4
        mask.maskBlur = 1
        mask.nullBlur = 3
        // The Caffe λ₁ is sized for 784 mask cells of a real photo; with 64 cells the area term must weigh more.
        mask.l1Lambda = 0.02
        var objectives: [Float] = []
        let map = try mask.map(model: evidence, x, target: .logit(0)) { _, value in objectives.append(value) }
        let (inside, outside) = try insideOutside(map)
        #expect(inside > outside + 0.3, "inside \(inside), outside \(outside)")
        #expect(objectives.count == 60 && objectives.last! < objectives.first!)
        #expect(map.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        mask.maskScale = 5
        #expect(throws: SaliencyError.self) { try mask.map(model: evidence, x, target: .logit(0)) }
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
