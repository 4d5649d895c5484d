import GlimpseCore
import GlimpseFormats

/// ResNet-18/34/50 (He et al. 2016) with torchvision's key names (`conv1`, `bn1`, `layer1.0.conv1`, …, `fc`);
/// ResNet-50 uses bottleneck blocks with the stride on the 3×3 convolution (torchvision's "v1.5").
public final class ResNet: Classifier {
    /// How inputs in [0, 1] are normalised inside the model.
    public enum InputNormalization: Sendable {
        /// ImageNet mean (0.485, 0.456, 0.406) and standard deviation (0.229, 0.224, 0.225), torchvision's.
        case imagenet
        /// None: the tensor goes in as given.
        case none
    }

    public let name: String
    public let inputSize = 224
    public let inputChannels = 3
    public let minimumInputSize = 32
    public let classCount: Int
    public var layerPaths: [String] { layerTable.paths }
    public let defaultCAMLayer = "layer4"

    private let normalization: InputNormalization
    private let stem: ConvBN
    private let blocks: [ResidualBlock]
    private let fc: Linear
    private let layerTable: LayerTable

    /// Builds ResNet-`depth` (18, 34 or 50) from a state dict.
    public init(depth: Int, stateDict: StateDict, classCount: Int = 1000, normalization: InputNormalization = .imagenet) throws {
        let layout: [Int]
        let bottleneck: Bool
        switch depth {
        case 18: layout = [2, 2, 2, 2]; bottleneck = false
        case 34: layout = [3, 4, 6, 3]; bottleneck = false
        case 50: layout = [3, 4, 6, 3]; bottleneck = true
        default: throw ModelError.unknownModel("resnet\(depth)", known: ["resnet18", "resnet34", "resnet50"])
        }
        name = "resnet\(depth)"
        self.classCount = classCount
        self.normalization = normalization
        let w = Weights(dict: stateDict)
        var table = LayerTable()
        stem = try ConvBN(w, conv: "conv1", bn: "bn1", inChannels: 3, outChannels: 64, kernel: 7,
                          options: Conv2DOptions(stride: 2, padding: 3), eps: 1e-5)
        table.note("conv1", "Conv2d", stem.parameterCount); table.note("bn1", "BatchNorm2d", 128); table.note("relu", "ReLU"); table.note("maxpool", "MaxPool2d")
        var built: [ResidualBlock] = []
        var inChannels = 64
        for (stage, count) in layout.enumerated() {
            let width = 64 << stage
            for i in 0..<count {
                var block = try ResidualBlock(w, path: "layer\(stage + 1).\(i)", inChannels: inChannels, width: width,
                                              stride: i == 0 && stage > 0 ? 2 : 1, bottleneck: bottleneck)
                block.isLastOfStage = i == count - 1
                for (path, kind, params) in block.layers { table.note(path, kind, params) }
                built.append(block)
                inChannels = block.outChannels
            }
            table.note("layer\(stage + 1)", "Sequential")
        }
        blocks = built
        table.note("avgpool", "AdaptiveAvgPool2d")
        fc = try Linear(w, "fc", inFeatures: inChannels, outFeatures: classCount)
        table.note("fc", "Linear", inChannels * classCount + classCount)
        layerTable = table
    }

    public func forward(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
        let h = try stem(normalizedInput(x), pass, activation: .relu, activationPath: "relu")
        return try forward(from: "maxpool", pass.tap("maxpool", try h.maxPool2d(kernel: 3, stride: 2, padding: 1)), pass: pass)
    }

    /// `maxpool`, every block (`layer1.0`, …), every stage (`layer1`, …) and `avgpool`.
    public var resumableLayers: [String] {
        ["maxpool"] + blocks.flatMap { $0.isLastOfStage ? [$0.path, $0.stagePath] : [$0.path] } + ["avgpool"]
    }

    /// Global average pooling and the linear classifier follow the last stage.
    public func tailIsAffine(from layer: String) -> Bool {
        layer == "avgpool" || layer == blocks.last?.stagePath || layer == blocks.last?.path
    }

    public func forward(from layer: String, _ activation: Tensor, pass: ForwardPass) throws -> Tensor {
        if layer == "avgpool" { return try fc(activation, pass) }
        guard let start = layer == "maxpool" ? 0
                : blocks.firstIndex(where: { $0.path == layer || ($0.isLastOfStage && $0.stagePath == layer) }).map({ $0 + 1 }) else {
            throw ModelError.cannotResume(model: name, layer: layer, supported: resumableLayers)
        }
        var h = activation
        for block in blocks[start...] {
            h = try block(h, pass)
            if block.isLastOfStage { h = pass.tap(block.stagePath, h) }
        }
        return try fc(pass.tap("avgpool", try h.globalAvgPool()), pass)
    }

    public func normalizedInput(_ x: Tensor) throws -> Tensor { try ImageNetNormalization.apply(x, normalization) }
    public func imageFromNormalized(_ x: Tensor) throws -> Tensor { try ImageNetNormalization.invert(x, normalization) }

    public func parameterCount(of path: String) -> Int { layerTable.parameterCount(of: path) }
    public func kind(of path: String) -> String { layerTable.kind(of: path) }
}

/// BasicBlock (two 3×3 convs) or Bottleneck (1×1, 3×3, 1×1 ×4), with an optional projection shortcut.
struct ResidualBlock {
    let path: String
    let convs: [ConvBN]
    let downsample: ConvBN?
    let outChannels: Int
    let stagePath: String
    var isLastOfStage = false

    init(_ w: Weights, path: String, inChannels: Int, width: Int, stride: Int, bottleneck: Bool) throws {
        self.path = path
        stagePath = String(path.prefix { $0 != "." })
        if bottleneck {
            outChannels = width * 4
            convs = [
                try ConvBN(w, conv: "\(path).conv1", bn: "\(path).bn1", inChannels: inChannels, outChannels: width, kernel: 1,
                           options: Conv2DOptions(), eps: 1e-5),
                try ConvBN(w, conv: "\(path).conv2", bn: "\(path).bn2", inChannels: width, outChannels: width, kernel: 3,
                           options: Conv2DOptions(stride: stride, padding: 1), eps: 1e-5),
                try ConvBN(w, conv: "\(path).conv3", bn: "\(path).bn3", inChannels: width, outChannels: outChannels, kernel: 1,
                           options: Conv2DOptions(), eps: 1e-5),
            ]
        } else {
            outChannels = width
            convs = [
                try ConvBN(w, conv: "\(path).conv1", bn: "\(path).bn1", inChannels: inChannels, outChannels: width, kernel: 3,
                           options: Conv2DOptions(stride: stride, padding: 1), eps: 1e-5),
                try ConvBN(w, conv: "\(path).conv2", bn: "\(path).bn2", inChannels: width, outChannels: width, kernel: 3,
                           options: Conv2DOptions(stride: 1, padding: 1), eps: 1e-5),
            ]
        }
        downsample = stride != 1 || inChannels != outChannels
            ? try ConvBN(w, conv: "\(path).downsample.0", bn: "\(path).downsample.1", inChannels: inChannels,
                         outChannels: outChannels, kernel: 1, options: Conv2DOptions(stride: stride), eps: 1e-5)
            : nil
    }

    var layers: [(String, String, Int)] {
        var out: [(String, String, Int)] = []
        for (i, c) in convs.enumerated() {
            out += [(c.convPath, "Conv2d", c.parameterCount), (c.bn.path, "BatchNorm2d", 2 * c.bn.weight.count)]
            if i < convs.count - 1 { out.append(("\(path).relu\(i + 1)", "ReLU", 0)) }
        }
        if let d = downsample {
            out += [(d.convPath, "Conv2d", d.parameterCount), (d.bn.path, "BatchNorm2d", 2 * d.bn.weight.count)]
        }
        out.append((path, "ResidualBlock", 0))
        return out
    }

    func callAsFunction(_ x: Tensor, _ pass: ForwardPass) throws -> Tensor {
        var h = x
        for (i, conv) in convs.enumerated() {
            let last = i == convs.count - 1
            h = try conv(h, pass, activation: last ? .none : .relu, activationPath: last ? nil : "\(path).relu\(i + 1)")
        }
        let shortcut = try downsample.map { try $0(x, pass) } ?? x
        return pass.tap(path, try (h + shortcut).relu())
    }
}

