import Foundation
import GlimpseCore
import GlimpseModels
import GlimpseSaliency
import Testing

/// RISE and MASK on the evidence model, whose right answer is known.
struct PerturbationMethodTests {
    /// A model whose class 0 depends only on a known region E (rows 8..<16, columns 16..<24 of 32×32).
    let evidence = EvidenceModel(rows: 8..<16, columns: 16..<24)

    func insideOutside(_ map: Tensor) throws -> (inside: Float, outside: Float) {
        let e = try evidence.regionMap().scalars, m = map.scalars
        let inside = zip(m, e).filter { $0.1 > 0 }.map(\.0), outside = zip(m, e).filter { $0.1 == 0 }.map(\.0)
        return (inside.reduce(0, +) / Float(inside.count), outside.reduce(0, +) / Float(outside.count))
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

}

func maxAbs(_ a: Tensor, _ b: Tensor) -> Float { zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) } }
