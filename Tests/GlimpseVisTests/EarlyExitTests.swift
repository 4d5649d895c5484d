import GlimpseCore
import GlimpseModels
import GlimpseVis
import Testing

/// The forward pass that stops after the deepest requested layer must capture exactly what the full pass does.
@Suite(.enabled(if: LiteWeights.present, "EfficientNet-Lite0 weights missing: run scripts/setup.sh"))
struct EarlyExitTests {
    @Test func capturedActivationsAndGradientsEqualTheFullPass() throws {
        let model = try ModelZoo.load("efficientnet-lite0")
        var rng = SeededRNG(seed: 5)
        let x = Tensor.uniform([2, 3, 120, 136], rng: &rng).requiringGradient()
        let layers: Set<String> = ["_blocks.10", "_blocks.3._expand_act"]
        let full = try model.run(x, capturing: layers)
        let early = try model.run(x, capturing: layers, stoppingEarly: true)
        #expect(!full.stoppedEarly && early.stoppedEarly && early.logits.count == 0)
        for layer in layers {
            #expect(try early.layer(layer).scalars == full.layer(layer).scalars, "\(layer)")
        }
        let objective = Objective.channel("_blocks.10", 7) + .channel("_blocks.3._expand_act", 2)
        let gFull = try gradient(of: objective.value(full), wrt: [x])[0]
        let gEarly = try gradient(of: objective.value(early), wrt: [x])[0]
        #expect(gEarly.scalars == gFull.scalars)
    }

    @Test func logitObjectivesRunToTheEnd() throws {
        let model = try ModelZoo.load("efficientnet-lite0")
        let x = Tensor(repeating: 0.5, shape: [1, 3, 64, 64])
        let objective = Objective.channel("_blocks.2", 0) + .classLogit(3)
        #expect(objective.usesLogits && !Objective.channel("_blocks.2", 0).usesLogits)
        let r = try objective.forward(model, x)
        #expect(!r.stoppedEarly && r.logits.shape == [1, 1000])
        let stopped = try Objective.channel("_blocks.2", 0).forward(model, x)
        #expect(stopped.stoppedEarly)
        #expect(throws: VisError.self) { try Objective.classLogit(3).value(stopped) }
    }
}

/// The buffer pool's size classes: nearby sizes share buffers, so sizes never seen before stop missing the pool.
@Suite struct BufferPoolTests {
    @Test func sizeClassesWasteAtMostAQuarter() {
        var previous = 0
        for count in stride(from: 1, to: 3_000_000, by: 997) {
            let c = TensorStorage.capacity(forCount: count)
            #expect(c >= count && c >= previous && (count <= 4096 ? c == count : Double(c) <= 1.25 * Double(count)), "\(count) → \(c)")
            previous = c
        }
    }

    @Test func newSizesInAWarmClassComeFromThePool() {
        // Warm the class of 12288 floats (8193 ... 12288 share 10240 or 12288), then allocate sizes never seen.
        let warm = (0..<4).map { _ in Tensor(repeating: 0, shape: [12288]) }
        let warm2 = (0..<4).map { _ in Tensor(repeating: 0, shape: [10240]) }
        _ = (warm, warm2)
        let before = TensorStorage.largeAllocationsOnThisThread
        for count in stride(from: 8200, through: 12288, by: 37) {
            let t = Tensor(repeating: 1, shape: [count])
            #expect(t.count == count)
        }
        #expect(TensorStorage.largeAllocationsOnThisThread == before)
    }
}
