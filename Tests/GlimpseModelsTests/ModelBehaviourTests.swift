import Foundation
import GlimpseCore
import GlimpseFormats
import GlimpseModels
import Testing

/// Layer addressing, gradients at hidden layers, and errors for bad weights and inputs.
@Suite struct ModelBehaviourTests {
    func tiny() throws -> TinyCNN {
        try TinyCNN(stateDict: TorchCheckpoint.load(contentsOf: TestData.bundled.appendingPathComponent("tiny_zip.pth")))
    }

    @Test func everyLayerCanBeCapturedAndDifferentiated() throws {
        let model = try tiny()
        let x = try TestData.tensor("tiny_input.npy")
        let result = try model.run(x, capturing: Set(model.layerPaths))
        #expect(Set(result.layers.keys) == Set(model.layerPaths))
        // Gradient at a hidden layer without tracking the input: only the tail is walked.
        let hidden = try result.layer("relu2")
        let g = try gradient(of: try result.logits.sliced(axis: 1, 3..<4).sum(), wrt: [hidden])[0]
        #expect(g.shape == hidden.shape)
        #expect(g.scalars.contains { $0 != 0 })
        let layers = try model.describeLayers()
        #expect(layers.first { $0.path == "pool" }?.outputShape == [1, 8, 14, 14])
        #expect(model.totalParameters == 80 + 16 + 1168 + 170)
    }

    @Test func unknownLayerIsATypedError() throws {
        let model = try tiny()
        #expect(throws: ModelError.self) { try model.run(TestData.tensor("tiny_input.npy"), capturing: ["conv9"]) }
    }

    @Test func badInputsAreTypedErrors() throws {
        let model = try tiny()
        #expect(throws: ModelError.self) { try model.run(Tensor(zeros: [1, 3, 28, 28])) }
        #expect(throws: ModelError.self) { try model.run(Tensor(zeros: [28, 28])) }
        #expect(throws: TensorError.self) { try model.run(Tensor(repeating: .nan, shape: [1, 1, 28, 28])) }
    }

    @Test func wrongOrMissingWeightsNameTheKey() throws {
        var dict = try TorchCheckpoint.load(contentsOf: TestData.bundled.appendingPathComponent("tiny_zip.pth"))
        let good = try #require(dict["fc.weight"])
        dict.set("fc.weight", StoredTensor(shape: [10, 15], values: Array(good.values.prefix(150))))
        do {
            _ = try TinyCNN(stateDict: dict)
            Issue.record("expected a shape error")
        } catch let error as FormatError {
            #expect(error.description.contains("fc.weight"))
        }
        #expect(throws: FormatError.self) { try EfficientNetLite0(stateDict: dict) }
        #expect(throws: ModelError.self) { try ModelZoo.load("vgg99") }
    }
}
