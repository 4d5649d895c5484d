import Foundation
import GlimpseCore
import GlimpseFormats
import GlimpseImage
import GlimpseModels
import Testing

/// Models against the PyTorch reference fixtures (../shared/fixtures; tolerances from its README).
@Suite struct ModelFixtureTests {
    @Test(arguments: ["tiny_legacy.pth", "tiny_zip.pth"])
    func tinyNetworkMatchesPyTorch(file: String) throws {
        let model = try TinyCNN(stateDict: TorchCheckpoint.load(contentsOf: TestData.bundled.appendingPathComponent(file)))
        let x = try TestData.tensor("tiny_input.npy").requiringGradient()
        let result = try model.run(x)
        #expect(maxAbsDiff(result.logits, try TestData.tensor("tiny_logits.npy")) <= 1e-5)
        let grad = try gradient(of: try result.logits.sliced(axis: 1, 3..<4).sum(), wrt: [x])[0]
        #expect(maxAbsDiff(grad, try TestData.tensor("tiny_input_grad_logit3.npy")) <= 1e-6, "element-wise input gradient")
    }

    /// The reference input is normalised; the model takes [0, 1] images and normalises inside.
    static func chelseaInput() throws -> Tensor {
        let x = try TestData.tensor("input_1x3x224x224.npy")
        return (x * 128 + 127) * (1 / 255)
    }

    static let lite: EfficientNetLite0? = {
        guard TestData.available(TestData.liteWeights, "EfficientNet-Lite0 weights") else { return nil }
        return try? EfficientNetLite0(stateDict: TorchCheckpoint.load(contentsOf: TestData.liteWeights))
    }()

    @Test(.enabled(if: lite != nil, "EfficientNet-Lite0 weights missing: run scripts/setup.sh"))
    func efficientNetLite0MatchesPyTorch() throws {
        let model = try #require(Self.lite)
        let x = try Self.chelseaInput().requiringGradient()
        let result = try model.run(x, capturing: ["_blocks.10", "_head_act"])
        let logitError = maxAbsDiff(result.logits, try TestData.tensor("logits_1x1000.npy"))
        let blockError = maxAbsDiff(try result.layer("_blocks.10"), try TestData.tensor("block10_out_1x112x14x14.npy"))
        let headError = maxAbsDiff(try result.layer("_head_act"), try TestData.tensor("head_act_1x1280x7x7.npy"))
        print("EfficientNet-Lite0 vs PyTorch: logits \(logitError), _blocks.10 \(blockError), _head_act \(headError) max abs")
        #expect(logitError <= 1e-3)
        #expect(blockError <= 1e-3)
        #expect(headError <= 1e-3)

        let top5 = result.logits.scalars.indices.sorted { result.logits.scalars[$0] > result.logits.scalars[$1] }.prefix(5)
        #expect(Array(top5) == [285, 282, 281, 287, 904])
        #expect(ImageNetClasses.name(285) == "Egyptian cat")

        // Gradient with respect to the normalised input = gradient w.r.t. the [0, 1] image × 128/255.
        let grad01 = try gradient(of: try result.logits.sliced(axis: 1, 285..<286).sum(), wrt: [x])[0]
        let grad = grad01 * (128 / 255)
        let (cosine, relative) = cosineAndRelativeError(grad, try TestData.tensor("input_grad_top1_1x3x224x224.npy"))
        print("input gradient of logit 285: cosine \(cosine), relative L2 \(relative)")
        #expect(cosine >= 0.999)
        #expect(relative <= 2e-2)
    }

    @Test(.enabled(if: TestData.available(TestData.chelseaPhoto, "chelsea.png") && lite != nil))
    func preprocessingMatchesReference() throws {
        let model = try #require(Self.lite)
        let image = try ImageCodec.load(contentsOf: TestData.chelseaPhoto)
        let x = try model.preprocess(image)
        #expect(x.shape == [1, 3, 224, 224])
        #expect(maxAbsDiff(x, try Self.chelseaInput()) <= 1e-5)
    }

    @Test(.enabled(if: TestData.available(TestData.resnet18Weights, "resnet18_random.pth (../shared/fixtures)")))
    func resnet18MatchesPyTorch() throws {
        let dict = try TorchCheckpoint.load(contentsOf: TestData.resnet18Weights)
        let model = try ResNet(depth: 18, stateDict: dict, normalization: .none)
        let fixtures = TestData.shared.appendingPathComponent("fixtures")
        func load(_ name: String) throws -> Tensor {
            let a = try NPY.load(contentsOf: fixtures.appendingPathComponent(name))
            return try Tensor(a.values, shape: a.shape)
        }
        let result = try withoutGradient { try model.run(try load("resnet18_input.npy"), capturing: ["layer4"]) }
        let logitError = maxAbsDiff(result.logits, try load("resnet18_logits.npy"))
        let layerError = maxAbsDiff(try result.layer("layer4"), try load("resnet18_layer4.npy"))
        print("ResNet-18 vs PyTorch: logits \(logitError), layer4 \(layerError) max abs")
        #expect(logitError <= 1e-3)
        #expect(layerError <= 1e-3)
    }
}
