import Foundation
import GlimpseCore
import GlimpseFormats
import GlimpseModels
import Testing

/// `Classifier.resume`: the tail from any resumable layer reproduces the full forward pass.
struct ResumeTests {
    /// Full logits vs the tail run from each of `layers`, and the tail's own captures vs the full pass's.
    func checkTails(_ model: any Classifier, _ x: Tensor, layers: [String], after: [String: String]) throws {
        let full = try withoutGradient { try model.run(x, capturing: Set(layers + Array(after.values))) }
        let scale = maxAbsValue(full.logits)
        for layer in layers {
            let later = after[layer].map { Set([$0]) } ?? []
            let tail = try withoutGradient { try model.resume(from: layer, full.layer(layer), capturing: later) }
            let error = maxAbsDiff(tail.logits, full.logits)
            #expect(error <= 1e-5 * max(scale, 1), "logits from \(layer): max abs \(error)")
            for name in later {
                #expect(maxAbsDiff(try tail.layer(name), try full.layer(name)) <= 1e-5 * max(scale, 1), "\(name) from \(layer)")
            }
        }
    }

    @Test(.enabled(if: TestData.available(TestData.liteWeights, "EfficientNet-Lite0 weights")))
    func efficientNetTailsMatchFullForward() throws {
        let model = try EfficientNetLite0(stateDict: TorchCheckpoint.load(contentsOf: TestData.liteWeights))
        var rng = SeededRNG(seed: 3)
        let x = Tensor.uniform([2, 3, 64, 64], rng: &rng)
        #expect(model.resumableLayers.count == 20)
        try checkTails(model, x, layers: model.resumableLayers,
                       after: ["_stem_act": "_blocks.3", "_blocks.10": "_head_act", "_bn1": "_head_act"])
    }

    @Test(.enabled(if: TestData.available(TestData.resnet18Weights, "resnet18_random.pth (../shared/fixtures)")))
    func resNetTailsMatchFullForward() throws {
        let model = try ResNet(depth: 18, stateDict: TorchCheckpoint.load(contentsOf: TestData.resnet18Weights))
        var rng = SeededRNG(seed: 4)
        let x = Tensor.uniform([1, 3, 64, 64], rng: &rng)
        #expect(model.resumableLayers.contains("layer4") && model.resumableLayers.contains("layer2.0"))
        try checkTails(model, x, layers: model.resumableLayers, after: ["layer2.1": "layer3"])
    }

    @Test func unsupportedLayersAndModelsAreTypedErrors() throws {
        let tiny = try TinyCNN(stateDict: TorchCheckpoint.load(contentsOf: TestData.bundled.appendingPathComponent("tiny_zip.pth")))
        #expect(tiny.resumableLayers.isEmpty)
        #expect(throws: ModelError.cannotResume(model: "tiny-cnn", layer: "relu2", supported: [])) {
            try tiny.resume(from: "relu2", Tensor(zeros: [1, 16, 14, 14]))
        }
        guard TestData.exists(TestData.liteWeights) else { return }
        let lite = try EfficientNetLite0(stateDict: TorchCheckpoint.load(contentsOf: TestData.liteWeights))
        #expect(throws: ModelError.self) { try lite.resume(from: "_blocks.3._expand_act", Tensor(zeros: [1, 144, 56, 56])) }
        #expect(throws: ModelError.self) { try lite.resume(from: "_head_act", Tensor(repeating: .nan, shape: [1, 1280, 7, 7])) }
        #expect(throws: (any Error).self) { try lite.resume(from: "_head_act", Tensor(zeros: [1, 1000, 7, 7])) }
        #expect(throws: ModelError.self) { try lite.resume(from: "_head_act", Tensor(zeros: [1, 1280, 7, 7]), capturing: ["nope"]) }
    }
}

private func maxAbsValue(_ t: Tensor) -> Float { t.scalars.reduce(0) { max($0, abs($1)) } }
