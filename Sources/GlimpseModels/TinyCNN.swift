import GlimpseCore
import GlimpseFormats

/// A small 28×28 grey-image network: conv 3×3 1→8, batch norm, ReLU, max pool 2, conv 3×3 8→16, ReLU,
/// global average pool, linear 16→10. It is the network of the reference fixtures (`tiny_*.pth`).
public final class TinyCNN: Classifier {
    public let name = "tiny-cnn"
    public let inputSize = 28
    public let inputChannels = 1
    public let classCount = 10
    public let minimumInputSize = 4
    public let layerPaths = ["conv1", "bn1", "relu1", "pool", "conv2", "relu2", "gap", "fc"]
    public let defaultCAMLayer = "relu2"

    private let conv1: Tensor, conv1Bias: Tensor
    private let bn1: BatchNorm
    private let conv2: Tensor, conv2Bias: Tensor
    private let fc: Linear

    public init(stateDict: StateDict) throws {
        let w = Weights(dict: stateDict)
        conv1 = try w.tensor("conv1.weight", [8, 1, 3, 3])
        conv1Bias = try w.tensor("conv1.bias", [8])
        bn1 = try BatchNorm(w, "bn1", channels: 8, eps: 1e-5)
        conv2 = try w.tensor("conv2.weight", [16, 8, 3, 3])
        conv2Bias = try w.tensor("conv2.bias", [16])
        fc = try Linear(w, "fc", inFeatures: 16, outFeatures: 10)
    }

    public func forward(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
        var h = pass.tap("conv1", try Tensor.conv2d(x, filter: conv1, bias: conv1Bias, options: .init(stride: 1, padding: 1)))
        h = pass.tap("bn1", try bn1(h))
        h = pass.tap("relu1", h.relu())
        h = pass.tap("pool", try h.maxPool2d(kernel: 2))
        h = pass.tap("conv2", try Tensor.conv2d(h, filter: conv2, bias: conv2Bias, options: .init(stride: 1, padding: 1)))
        h = pass.tap("relu2", h.relu())
        h = pass.tap("gap", try h.globalAvgPool())
        return try fc(h, pass)
    }

    /// The tiny network takes its input as given.
    public func normalizedInput(_ x: Tensor) throws -> Tensor { x }
    public func imageFromNormalized(_ x: Tensor) throws -> Tensor { x }

    public func parameterCount(of path: String) -> Int {
        switch path {
        case "conv1": return 80
        case "bn1": return 16
        case "conv2": return 1168
        case "fc": return 170
        default: return 0
        }
    }

    public func kind(of path: String) -> String {
        ["conv1": "Conv2d", "bn1": "BatchNorm2d", "relu1": "ReLU", "pool": "MaxPool2d", "conv2": "Conv2d",
         "relu2": "ReLU", "gap": "AdaptiveAvgPool2d", "fc": "Linear"][path] ?? ""
    }
}
