import Foundation
import GlimpseCore
import GlimpseModels
import GlimpseVis
import Testing

enum LiteWeights {
    static let present: Bool = {
        let found = (try? ModelZoo.defaultWeights(for: "efficientnet-lite0")).map { FileManager.default.fileExists(atPath: $0.path) } ?? false
        if !found { print("GlimpseVisTests: EfficientNet-Lite0 weights missing (run scripts/setup.sh); skipping the real-model test") }
        return found
    }()
}

@Suite(.enabled(if: LiteWeights.present, "EfficientNet-Lite0 weights missing: run scripts/setup.sh"))
struct LiteModelTests {
    @Test func channelVisualizationOfBlock10Rises() throws {
        let model = try ModelZoo.load("efficientnet-lite0")
        var renderer = Renderer()
        renderer.steps = 24
        let objective = Objective.channel("_blocks.10", 7, batch: 0) + .channel("_blocks.10", 8, batch: 1)
        let r = try renderer.render(model: model, objective: objective,
                                    parameterization: FourierImage(batch: 2, height: 96, width: 96), seed: 1)
        #expect(r.images.shape == [2, 3, 96, 96] && r.images.isFinite)
        let first = try objective.evaluate(model: model, images: Tensor(repeating: 0.5, shape: [2, 3, 96, 96]))
        let last = try objective.evaluate(model: model, images: r.images)
        #expect(last > first + 1, "objective \(first) → \(last)")
    }
}
