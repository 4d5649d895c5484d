import Foundation
import GlimpseCore
import GlimpseModels
import GlimpseVis
import Testing

@Suite struct RendererTests {
    @Test(arguments: ["channel", "neuron", "deepdream", "logit", "sum", "diverse"])
    func everyObjectiveIncreases(kind: String) throws {
        let objective: Objective
        var batch = 1
        switch kind {
        case "channel": objective = .channel("conv2", 3)
        case "neuron": objective = .neuron("conv1", 2)
        case "deepdream": objective = .deepdream("conv1")
        case "logit": objective = .classLogit(1)
        case "sum": objective = .channel("conv2", 1) + 0.5 * .channel("conv1", 4) - 0.1 * .deepdream("conv2")
        default:
            batch = 2
            objective = .channel("conv2", 5) - 0.5 * .diversity("conv2")
        }
        let h = try renderSmall(objective, steps: 30, batch: batch).history
        let early = h.prefix(5).reduce(0, +) / 5, late = h.suffix(5).reduce(0, +) / 5
        #expect(late > early + 0.01 * abs(early), "\(kind): objective went from \(early) to \(late)")
    }

    @Test func pixelParameterizationAlsoOptimises() throws {
        let h = try renderSmall(.channel("conv2", 3), steps: 30, param: PixelImage(batch: 1, height: 32, width: 32)).history
        #expect(h.suffix(5).reduce(0, +) > h.prefix(5).reduce(0, +))
    }

    @Test func sameSeedSameImagesBitForBit() throws {
        let a = try renderSmall(.channel("conv2", 0), steps: 10, seed: 7)
        let b = try renderSmall(.channel("conv2", 0), steps: 10, seed: 7)
        let c = try renderSmall(.channel("conv2", 0), steps: 10, seed: 8)
        #expect(a.images.scalars == b.images.scalars)
        #expect(a.history == b.history)
        #expect(a.images.scalars != c.images.scalars)
    }

    /// Tail averaging: the final image is that of the mean of the last iterates' parameters. With sigmoid pixels
    /// (no colour decorrelation) the parameters are the images' logits; the first steps of a longer run are those of
    /// a shorter one with the same seed, so the iterates after steps 3 and 4 come from runs of 3 and 4 steps.
    @Test func tailAveragingAveragesTheLastIterates() throws {
        let pixels = try PixelImage(batch: 1, height: 32, width: 32, decorrelate: false)
        func logits(_ r: Rendering) -> [Float] { r.images.scalars.map { Foundation.log($0 / (1 - $0)) } }
        let third = try logits(renderSmall(.channel("conv2", 3), steps: 3, param: pixels, average: 0))
        let fourth = try renderSmall(.channel("conv2", 3), steps: 4, param: pixels, average: 0)
        let averaged = try renderSmall(.channel("conv2", 3), steps: 4, param: pixels, average: 0.5)
        let expected = zip(third, logits(fourth)).map { ($0 + $1) / 2 }
        #expect(zip(logits(averaged), expected).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(averaged.images.scalars != fourth.images.scalars)
        #expect(averaged.history == fourth.history)
        // Averaging one iterate is the last iterate itself.
        #expect(try renderSmall(.channel("conv2", 3), steps: 4, param: pixels, average: 0.25).images.scalars == fourth.images.scalars)
        #expect(throws: VisError.self) { try renderSmall(.channel("conv2", 3), steps: 1, average: 1.5) }
    }

    @Test func batchRendersOneImagePerObjective() throws {
        let objective = Objective.channel("conv2", 0, batch: 0) + .channel("conv2", 9, batch: 1)
        let r = try renderSmall(objective, steps: 3, batch: 2)
        #expect(r.images.shape == [2, 3, 32, 32])
        #expect(r.history.count == 3 && r.seconds > 0 && r.millisecondsPerStep > 0)
        #expect(r.images.scalars.allSatisfy { $0 > 0 && $0 < 1 })
    }

    @Test func macoTransparencyMarksWhereTheObjectiveLooks() throws {
        // A centre neuron of conv2 sees a 7×7 window (plus the transforms' few pixels of shift): MACO's accumulated
        // |∂loss/∂image| must concentrate there.
        let maco = try MACOImage(batch: 1, height: 32, width: 32, spectrum: .powerLaw(height: 32, width: 32))
        let r = try renderSmall(.neuron("conv2", 3), steps: 12, param: maco, transparency: true)
        let t = try #require(r.transparency)
        #expect(t.shape == [1, 1, 32, 32])
        let v = t.scalars
        #expect(v.allSatisfy { $0 >= 0 && $0.isFinite })
        var centre: Float = 0, border: Float = 0, nc = 0, nb = 0
        for y in 0..<32 { for x in 0..<32 {
            if abs(y - 16) <= 4 && abs(x - 16) <= 4 { centre += v[y * 32 + x]; nc += 1 }
            else if abs(y - 16) > 10 || abs(x - 16) > 10 { border += v[y * 32 + x]; nb += 1 }
        } }
        #expect(centre / Float(nc) > 10 * border / Float(nb), "centre \(centre / Float(nc)), border \(border / Float(nb))")
        #expect(try renderSmall(.neuron("conv2", 3), steps: 2, param: maco).transparency == nil)
    }

    @Test func errorsAreTyped() throws {
        #expect(throws: ModelError.self) { try renderSmall(.channel("nope", 0), steps: 1) }
        #expect(throws: VisError.self) { try renderSmall(.channel("conv2", 99), steps: 1) }
        #expect(throws: VisError.self) { try renderSmall(.channel("conv2", 0, batch: 1), steps: 1) }
        #expect(throws: VisError.self) { try renderSmall(.classLogit(5), steps: 1) }
        #expect(throws: VisError.self) { try renderSmall(.channel("conv2", 0), steps: 0) }
    }

    @Test func adamFirstStepMovesByTheLearningRate() throws {
        var adam = Adam(learningRate: 0.05)
        var p = try Tensor([1, -2, 3], shape: [3])
        try adam.update(&p, gradient: try Tensor([10, -0.001, 0], shape: [3]))
        #expect(abs(p[0] - 0.95) < 1e-5 && abs(p[1] + 1.95) < 1e-3 && p[2] == 3)
        #expect(throws: TensorError.self) { try adam.update(&p, gradient: Tensor(zeros: [2])) }
    }
}
