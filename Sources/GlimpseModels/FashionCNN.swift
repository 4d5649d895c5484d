import Foundation
import GlimpseCore
import GlimpseFormats

/// A small Fashion-MNIST network (28×28 grey): three blocks of conv 3×3 (no bias) + batch norm + ReLU at
/// 28², 14² and 7² (2×2 max pool between them), then a linear layer on the flattened 7×7 features.
/// The widths are read from the weights; `initialStateDict` makes freshly initialised ones.
public final class FashionCNN: TrainableClassifier {
    /// Architecture name used by `glimpse train --arch`.
    public static let arch = "fmnist-cnn"
    /// Default widths of the three blocks.
    public static let defaultWidths = [16, 32, 64]
    /// Mean and standard deviation of the Fashion-MNIST training pixels (normalisation inside the model).
    public static let pixelMean: Float = 0.2860, pixelStd: Float = 0.3530

    public let name = FashionCNN.arch
    public let inputSize = 28
    public let inputChannels = 1
    public let classCount = 10
    public let minimumInputSize = 4
    public let layerPaths = ["conv1", "bn1", "relu1", "pool1", "conv2", "bn2", "relu2", "pool2",
                             "conv3", "bn3", "relu3", "fc"]
    public let defaultCAMLayer = "relu3"
    /// Widths of the three blocks.
    public let widths: [Int]
    public var parameters: [String: Tensor]
    public var trainableKeys: [String] {
        (1...3).flatMap { ["conv\($0).weight", "bn\($0).weight", "bn\($0).bias"] } + ["fc.weight", "fc.bias"]
    }

    /// Builds the network from a state dict with the keys of `initialStateDict`.
    public init(stateDict: StateDict) throws {
        guard let c1 = stateDict["conv1.weight"], let c2 = stateDict["conv2.weight"], let c3 = stateDict["conv3.weight"],
              c1.shape.count == 4, c2.shape.count == 4, c3.shape.count == 4 else {
            throw ModelError.badInput("\(FashionCNN.arch): the weights need conv1/2/3.weight of rank 4 (keys found: \(stateDict.keys.prefix(6).joined(separator: ", ")))")
        }
        widths = [c1.shape[0], c2.shape[0], c3.shape[0]]
        let w = Weights(dict: stateDict)
        var p: [String: Tensor] = [:]
        for (key, shape) in FashionCNN.shapes(widths: widths) { p[key] = try w.tensor(key, shape) }
        parameters = p
    }

    /// Every key and shape of a network with these widths.
    public static func shapes(widths: [Int]) -> [(String, [Int])] {
        var out: [(String, [Int])] = []
        var cin = 1
        for (i, c) in widths.enumerated() {
            out.append(("conv\(i + 1).weight", [c, cin, 3, 3]))
            for s in ["weight", "bias", "running_mean", "running_var"] { out.append(("bn\(i + 1).\(s)", [c])) }
            cin = c
        }
        out.append(("fc.weight", [10, cin * 49]))
        out.append(("fc.bias", [10]))
        return out
    }

    /// He-normal convolutions, PyTorch's uniform ±1/√fan_in linear layer, unit batch-norm scales; seeded.
    public static func initialStateDict(widths: [Int] = defaultWidths, seed: UInt64) -> StateDict {
        var rng = SeededRNG(seed: seed)
        var dict = StateDict()
        for (key, shape) in shapes(widths: widths) {
            let n = shape.reduce(1, *)
            let values: [Float]
            if key.hasPrefix("conv") {
                let std = (2 / Float(shape[1] * 9)).squareRoot()
                values = (0..<n).map { _ in std * rng.nextNormal() }
            } else if key.hasPrefix("fc") {
                let bound = 1 / Float(widths[2] * 49).squareRoot()
                values = (0..<n).map { _ in bound * (2 * rng.nextUniform() - 1) }
            } else {
                values = [Float](repeating: key.hasSuffix(".weight") || key.hasSuffix("running_var") ? 1 : 0, count: n)
            }
            dict.set(key, StoredTensor(shape: shape, values: values))
        }
        return dict
    }

    /// The parameters as a state dict (in `shapes` order), for saving.
    public func stateDict() -> StateDict {
        var dict = StateDict()
        for (key, shape) in FashionCNN.shapes(widths: widths) { dict.set(key, StoredTensor(shape: shape, values: parameters[key]!.scalars)) }
        return dict
    }

    public func forward(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
        try body(x, parameters, training: false, pass: pass).0
    }

    public func trainingLogits(_ x: Tensor, parameters: [String: Tensor]) throws -> (logits: Tensor, statistics: [String: BatchStatistics]) {
        try body(x, parameters, training: true, pass: ForwardPass())
    }

    /// `trainingLogits` with the layer outputs tapped into `pass` (for regularizers on activations, e.g. Grad-CAM).
    public func trainingLogits(_ x: Tensor, parameters: [String: Tensor], pass: ForwardPass) throws -> (logits: Tensor, statistics: [String: BatchStatistics]) {
        try body(x, parameters, training: true, pass: pass)
    }

    private func body(_ x: Tensor, _ p: [String: Tensor], training: Bool, pass: ForwardPass) throws -> (Tensor, [String: BatchStatistics]) {
        func param(_ key: String) throws -> Tensor {
            guard let t = p[key] else { throw ModelError.badInput("\(name): parameter \(key) is missing") }
            return t
        }
        var stats: [String: BatchStatistics] = [:]
        var h = try normalizedInput(x)
        for block in 1...3 {
            h = pass.tap("conv\(block)", try Tensor.conv2d(h, filter: param("conv\(block).weight"), options: .init(stride: 1, padding: 1)))
            let bn = "bn\(block)"
            if training {
                let (y, s) = try h.batchNormTraining(weight: param("\(bn).weight"), bias: param("\(bn).bias"), eps: 1e-5)
                h = y
                stats[bn] = s
            } else {
                h = try h.batchNormInference(mean: param("\(bn).running_mean"), variance: param("\(bn).running_var"),
                                             weight: param("\(bn).weight"), bias: param("\(bn).bias"), eps: 1e-5)
            }
            h = pass.tap("relu\(block)", pass.tap(bn, h).relu())
            if block < 3 { h = pass.tap("pool\(block)", try h.maxPool2d(kernel: 2)) }
        }
        let logits = pass.tap("fc", try Tensor.linear(h.flattened(), weight: param("fc.weight"), bias: param("fc.bias")))
        return (logits, stats)
    }

    public func normalizedInput(_ x: Tensor) throws -> Tensor { (x - FashionCNN.pixelMean) / FashionCNN.pixelStd }
    public func imageFromNormalized(_ x: Tensor) throws -> Tensor { x * FashionCNN.pixelStd + FashionCNN.pixelMean }

    public func parameterCount(of path: String) -> Int {
        parameters.filter { $0.key.hasPrefix(path + ".") && !$0.key.contains("running") }.reduce(0) { $0 + $1.value.count }
    }

    public func kind(of path: String) -> String {
        if path.hasPrefix("conv") { return "Conv2d" }
        if path.hasPrefix("bn") { return "BatchNorm2d" }
        if path.hasPrefix("relu") { return "ReLU" }
        if path.hasPrefix("pool") { return "MaxPool2d" }
        return "Linear"
    }
}
