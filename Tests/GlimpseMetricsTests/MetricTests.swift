import Foundation
import GlimpseCore
import GlimpseFormats
import GlimpseMetrics
import GlimpseModels
import GlimpseSaliency
import Testing

/// Faithfulness metrics on cases with known answers: the exact evidence of a model against its inverse.
struct MetricTests {
    let model = EvidenceModel(rows: 8..<16, columns: 16..<24)
    static let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    @Test func deletionAndInsertionRankThePerfectMapAboveItsInverse() throws {
        let x = try model.image()
        let metric = DeletionInsertion(step: 32, batchSize: 8)
        let perfect = try model.regionMap(), inverse = try model.regionMap(inverted: true)
        let del = try metric.evaluate(.deletion, model: model, x, map: perfect, classIndex: 0)
        let delInverse = try metric.evaluate(.deletion, model: model, x, map: inverse, classIndex: 0)
        #expect(del.scores.count == 33)
        // The perfect map deletes E's 64 pixels in the first two steps: p falls to p(E zeroed) at point 2.
        let zeroed = try model.logits(x * (1 - model.region)).softmax(axis: 1).scalars[0]
        #expect(abs(del.scores[2] - zeroed) <= 1e-6 && zeroed < 0.01)
        #expect(del.auc < 0.1 && delInverse.auc > 0.9, "deletion \(del.auc) vs inverse \(delInverse.auc)")
        let ins = try metric.evaluate(.insertion, model: model, x, map: perfect, classIndex: 0)
        let insInverse = try metric.evaluate(.insertion, model: model, x, map: inverse, classIndex: 0)
        #expect(ins.auc > 0.9 && ins.auc > insInverse.auc + 0.3, "insertion \(ins.auc) vs inverse \(insInverse.auc)")
        // The inverse map inserts E's pixels last: the first 30 points (960 background pixels) all score the same.
        #expect(Set(insInverse.scores.prefix(31)).count == 1 && insInverse.scores[32] > insInverse.scores[30])
        #expect(ins.scores.last == del.scores.first, "both curves end/start at the image")
        // One step for the whole image: the curve is [p(x), p(zeros)], the area their mean.
        let whole = try DeletionInsertion(step: 1024).evaluate(.deletion, model: model, x, map: perfect, classIndex: 0)
        let p0 = try model.logits(x).softmax(axis: 1).scalars[0], p1 = try model.logits(Tensor(zeros: x.shape)).softmax(axis: 1).scalars[0]
        #expect(whole.scores == [p0, p1] && abs(whole.auc - Double(p0 + p1) / 2) <= 1e-7)
        #expect(DeletionInsertion.area([1, 0, 1]) == 0.5)
        #expect(throws: MetricError.self) { try metric.evaluate(.deletion, model: model, x, map: Tensor(zeros: [8, 8]), classIndex: 0) }
        #expect(throws: (any Error).self) {
            try metric.evaluate(.deletion, model: model, x, map: Tensor(repeating: .nan, shape: [32, 32]), classIndex: 0)
        }
    }

    @Test func insertionBlurIsTheAuthorsZeroPaddedGaussian() throws {
        // A single bright pixel in the middle spreads into the normalised 11×11 kernel; at a corner, mass is lost.
        var impulse = [Float](repeating: 0, count: 32 * 32)
        impulse[16 * 32 + 16] = 1
        impulse[0] = 1
        let blurred = try DeletionInsertion.blurred(Tensor(impulse, shape: [1, 1, 32, 32])).scalars
        let centre = blurred[(11 * 32)..<(22 * 32)].enumerated().filter { (11...21).contains($0.offset % 32) }.map(\.element)
        #expect(abs(centre.reduce(0, +) - 1) <= 1e-5)
        let g = (-5...5).map { exp(-Double($0 * $0) / 50) }
        let norm = g.reduce(0, +)
        #expect(abs(Double(blurred[16 * 32 + 16]) - (g[5] / norm) * (g[5] / norm)) <= 1e-6)
        #expect(abs(Double(blurred[0]) - (g[5] / norm) * (g[5] / norm)) <= 1e-6)
    }

    @Test func adccOfThePerfectMapAndItsInverse() throws {
        let x = try model.image()
        let perfect = try model.regionMap(), inverse = try model.regionMap(inverted: true)
        let good = try ConfidenceScores.evaluate(model: model, x, map: perfect, classIndex: 0) { _ in perfect }
        #expect(good.drop == 0 && good.coherency == 1)
        #expect(abs(good.complexity - 64.0 / 1024) <= 1e-12)
        #expect(abs(good.adcc - 3 / (1 + 1 / (1 - 64.0 / 1024) + 1)) <= 1e-12)
        let bad = try ConfidenceScores.evaluate(model: model, x, map: inverse, classIndex: 0) { _ in perfect }
        #expect(bad.drop > 0.99 && bad.increase == 0 && bad.coherency == 0 && bad.adcc == 0)
        // Keeping E and blanking the background raises class 0's mean-over-E? No: E is untouched, so O = Y.
        #expect(good.increase == 0)
        #expect(throws: MetricError.self) {
            try ConfidenceScores.evaluate(model: model, x, map: perfect, classIndex: 5) { _ in perfect }
        }
    }

    @Test func pointingGameTolerance() throws {
        var map = [Float](repeating: 0, count: 64 * 64)
        map[30 * 64 + 10] = 1                      // maximum at (y 30, x 10)
        let t = try Tensor(map, shape: [64, 64])
        let box = { (x0: Int) in PointingGame.region(boxes: [.init(x0: x0, y0: 0, x1: 64, y1: 64)], height: 64, width: 64) }
        #expect(try PointingGame.hit(map: t, region: box(10)))
        #expect(try PointingGame.hit(map: t, region: box(24)))      // 14 px away
        #expect(try !PointingGame.hit(map: t, region: box(25)))     // 15 px: not strictly inside
        #expect(try PointingGame.hit(map: t, region: box(25), tolerance: 15.5))
        #expect(PointingGame.meanClassAccuracy([(1, true), (1, false), (2, true)]) == 0.75)
        #expect(throws: MetricError.self) { try PointingGame.hit(map: t, region: [true]) }
    }

    @Test func statisticsMatchScipyAndScikitImage() throws {
        func load(_ name: String) throws -> Tensor {
            let a = try NPY.load(contentsOf: Self.fixtures.appendingPathComponent(name))
            return try Tensor(a.values, shape: a.shape)
        }
        let (a, b) = (try load("map_a_20x24.npy"), try load("map_b_20x24.npy"))
        let reference = try JSONDecoder().decode([String: Double].self,
                                                  from: Data(contentsOf: Self.fixtures.appendingPathComponent("statistics.json")))
        let ssim = try MapStatistics.ssim(MapStatistics.normalized(a), MapStatistics.normalized(b))
        #expect(abs(ssim - reference["ssim_normalized"]!) <= 1e-5, "SSIM \(ssim)")
        #expect(abs(MapStatistics.spearman(a.scalars, b.scalars) - reference["spearman"]!) <= 1e-6)
        #expect(abs(MapStatistics.spearman(a.scalars.map(abs), b.scalars.map(abs)) - reference["spearman_abs"]!) <= 1e-6)
        #expect(abs(MapStatistics.pearson(a.scalars, b.scalars) - reference["pearson"]!) <= 1e-6)
        #expect(MapStatistics.ranks([3, 1, 2, 2]) == [4, 1, 2.5, 2.5])
        #expect(MapStatistics.descendingOrder([1, 2, 2, 0]) == [2, 1, 0, 3])
        #expect(MapStatistics.tiedFraction([1, 2, 2, 0, 1, 1]) == 5.0 / 6 && MapStatistics.tiedFraction([3, 1, 2]) == 0)
        #expect(MapStatistics.tiedFraction([]) == 0 && MapStatistics.tiedFraction([-0.0, 0]) == 1)
        #expect(abs(try MapStatistics.ssim(a, a) - 1) <= 1e-12)
    }

    @Test func sanityCheckSeparatesModelDependentFromModelIndependentMaps() throws {
        let dict = try TorchCheckpoint.load(contentsOf: Self.fixtures.appendingPathComponent("tiny_zip.pth"))
        let x = try NPY.load(contentsOf: Self.fixtures.appendingPathComponent("tiny_input.npy"))
        let input = try Tensor(x.values, shape: x.shape)
        let stages = [SanityCheck.Stage(name: "fc", prefixes: ["fc."]), SanityCheck.Stage(name: "conv2", prefixes: ["conv2."]),
                      SanityCheck.Stage(name: "conv1", prefixes: ["conv1.", "bn1."])]
        let build: (StateDict) throws -> any Classifier = { try TinyCNN(stateDict: $0) }
        let gradient = try SanityCheck(seed: 2).run(stateDict: dict, stages: stages, build: build) { model in
            try SaliencyMethod.vanilla.map(model: model, input, target: .logit(3))
        }
        let fixed = try input.reshaped([28, 28])
        let constant = try SanityCheck(seed: 2).run(stateDict: dict, stages: stages, build: build) { _ in fixed }
        #expect(gradient.map(\.stage) == ["fc", "conv2", "conv1"])
        #expect(constant.allSatisfy { abs($0.spearman - 1) <= 1e-9 && abs($0.ssim - 1) <= 1e-9 })
        #expect(gradient.last!.spearmanAbs < 0.5, "fully randomized: \(gradient.last!)")
        // Independent randomization: the first stage is the cascade's first stage; later ones start from the trained model.
        let independent = try SanityCheck(seed: 2, cascading: false).run(stateDict: dict, stages: stages, build: build) { model in
            try SaliencyMethod.vanilla.map(model: model, input, target: .logit(3))
        }
        #expect(independent[0] == gradient[0] && independent[2] != gradient[2])
        #expect(SanityCheck.efficientNetLite0Stages.count == 19)
        let grouped = SanityCheck.grouped(SanityCheck.efficientNetLite0Stages, by: 4)
        #expect(grouped.map(\.name) == ["_blocks.14", "_blocks.10", "_blocks.6", "_blocks.2", "_conv_stem"])
        #expect(grouped.flatMap(\.prefixes) == SanityCheck.efficientNetLite0Stages.flatMap(\.prefixes))
        // Same seed, same result; the batch-norm statistics are not weights and stay.
        var rng = SeededRNG(seed: 1)
        let r = try SanityCheck.randomized(dict, prefixes: ["conv1.", "bn1."], rng: &rng)
        #expect(r["bn1.running_var"] == dict["bn1.running_var"] && r["bn1.weight"] == dict["bn1.weight"])
        #expect(r["conv1.weight"] != dict["conv1.weight"] && r["conv1.bias"] != dict["conv1.bias"] && r["fc.weight"] == dict["fc.weight"])
        #expect(throws: MetricError.self) { try SanityCheck.randomized(dict, prefixes: ["nothing."], rng: &rng) }
    }
}

/// ROAD against pytorch-grad-cam's imputer, and on the evidence model.
struct ROADTests {
    static let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    @Test func imputationMatchesPytorchGradCam() throws {
        func load(_ name: String) throws -> Tensor {
            let a = try NPY.load(contentsOf: Self.fixtures.appendingPathComponent(name))
            return try Tensor(a.values, shape: a.shape)
        }
        let image = try load("road_image_3x12x14.npy").reshaped([1, 3, 12, 14])
        let keep = try load("road_keep_12x14.npy").scalars.map { $0 > 0.5 }
        var rng = SeededRNG(seed: 0)
        let imputed = try ROAD(noise: 0).impute(image, keep: keep, rng: &rng)
        let reference = try load("road_imputed_3x12x14.npy").reshaped([1, 3, 12, 14])
        #expect(maxAbs(imputed, reference) <= 1e-5)
        #expect(throws: MetricError.self) { try ROAD().impute(image, keep: [Bool](repeating: false, count: 168), rng: &rng) }
        #expect(ROAD.percentile([1, 2, 3, 4], 50) == 2.5)
    }

    @Test func roadPrefersThePerfectMap() throws {
        let model = EvidenceModel(rows: 8..<16, columns: 16..<24)
        let x = try model.image()
        let road = ROAD(seed: 4)
        // Binary maps make every percentile 0 or 1; a small ramp orders the pixels inside each part.
        let ramp = try Tensor((0..<1024).map { Float($0) / 1024 * 0.01 }, shape: [32, 32])
        let good = try road.combined(model: model, x, map: model.regionMap() + ramp, classIndex: 0)
        let bad = try road.combined(model: model, x, map: model.regionMap(inverted: true) + ramp, classIndex: 0)
        #expect(good > 0.2 && bad < -0.2, "perfect \(good), inverse \(bad)")
        #expect(try road.combined(model: model, x, map: model.regionMap() + ramp, classIndex: 0) == good, "seeded")
    }
}
