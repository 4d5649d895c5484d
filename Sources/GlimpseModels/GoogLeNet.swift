import GlimpseCore
import GlimpseFormats

/// GoogLeNet (Szegedy et al. 2015, Inception v1) with torchvision's key names: `BasicConv2d` units (convolution
/// without bias, batch norm with eps 1e-3, ReLU) addressed by their module path (`conv1`, `inception3a.branch2.1`, …),
/// max pools in ceil mode, nine Inception blocks, global average pool and `fc`. As in torchvision, the "5×5" branch
/// uses a 3×3 convolution. The auxiliary classifiers (`aux1`, `aux2`) only run in training and are not read.
public final class GoogLeNet: Classifier {
    public let name = "googlenet"
    public let inputSize = 224
    public let inputChannels = 3
    public let minimumInputSize = 32
    public let classCount: Int
    public var layerPaths: [String] { layerTable.paths }
    public let defaultCAMLayer = "inception5b"

    private let normalization: ResNet.InputNormalization
    private let transformInput: Bool
    private let conv1: ConvBN, conv2: ConvBN, conv3: ConvBN
    private let blocks: [InceptionBlock]
    private let fc: Linear
    private let layerTable: LayerTable

    /// (name, in, 1×1, 3×3 reduce, 3×3, "5×5" reduce, "5×5", pool projection) of each Inception block.
    static let plan: [(String, Int, Int, Int, Int, Int, Int, Int)] = [
        ("inception3a", 192, 64, 96, 128, 16, 32, 32), ("inception3b", 256, 128, 128, 192, 32, 96, 64),
        ("inception4a", 480, 192, 96, 208, 16, 48, 64), ("inception4b", 512, 160, 112, 224, 24, 64, 64),
        ("inception4c", 512, 128, 128, 256, 24, 64, 64), ("inception4d", 512, 112, 144, 288, 32, 64, 64),
        ("inception4e", 528, 256, 160, 320, 32, 128, 128), ("inception5a", 832, 256, 160, 320, 32, 128, 128),
        ("inception5b", 832, 384, 192, 384, 48, 128, 128),
    ]
    /// Max pools that follow a block: (block name, pool path, kernel).
    static let poolsAfter: [String: (String, Int)] = ["inception3b": ("maxpool3", 3), "inception4e": ("maxpool4", 2)]

    /// Builds GoogLeNet from a torchvision state dict. With `normalization: .imagenet` and `transformInput` (what
    /// torchvision's ImageNet weights use), a [0, 1] image x enters the network as (x − 0.5)/0.5, which equals
    /// ImageNet normalisation followed by torchvision's `transform_input`; without `transformInput` it is the plain
    /// ImageNet normalisation; `.none` passes the tensor through.
    public init(stateDict: StateDict, classCount: Int = 1000, normalization: ResNet.InputNormalization = .imagenet,
                transformInput: Bool = true) throws {
        let w = Weights(dict: stateDict)
        self.classCount = classCount
        self.normalization = normalization
        self.transformInput = transformInput
        var table = LayerTable()
        func noteUnit(_ unit: ConvBN) {
            table.note("\(unit.convPath)", "Conv2d", unit.parameterCount)
            table.note(unit.bn.path, "BatchNorm2d", 2 * unit.bn.weight.count)
            table.note(InceptionBlock.unitPath(unit), "BasicConv2d")
        }
        conv1 = try InceptionBlock.unit(w, "conv1", 3, 64, kernel: 7, options: Conv2DOptions(stride: 2, padding: 3))
        conv2 = try InceptionBlock.unit(w, "conv2", 64, 64, kernel: 1)
        conv3 = try InceptionBlock.unit(w, "conv3", 64, 192, kernel: 3, options: Conv2DOptions(stride: 1, padding: 1))
        noteUnit(conv1); table.note("maxpool1", "MaxPool2d")
        noteUnit(conv2); noteUnit(conv3); table.note("maxpool2", "MaxPool2d")
        var built: [InceptionBlock] = []
        for spec in Self.plan {
            let block = try InceptionBlock(w, spec)
            for unit in [block.branch1] + block.branch2 + block.branch3 { noteUnit(unit) }
            table.note("\(block.path).branch4.0", "MaxPool2d")
            noteUnit(block.branch4)
            table.note(block.path, "Inception")
            if let (pool, _) = Self.poolsAfter[block.path] { table.note(pool, "MaxPool2d") }
            built.append(block)
        }
        blocks = built
        table.note("avgpool", "AdaptiveAvgPool2d")
        fc = try Linear(w, "fc", inFeatures: 1024, outFeatures: classCount)
        table.note("fc", "Linear", 1024 * classCount + classCount)
        layerTable = table
    }

    public func forward(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
        var h = try normalizedInput(x)
        h = try conv1(h, pass, activation: .relu, activationPath: "conv1")
        h = pass.tap("maxpool1", try h.maxPool2d(kernel: 3, stride: 2, ceilMode: true))
        h = try conv2(h, pass, activation: .relu, activationPath: "conv2")
        h = try conv3(h, pass, activation: .relu, activationPath: "conv3")
        h = pass.tap("maxpool2", try h.maxPool2d(kernel: 3, stride: 2, ceilMode: true))
        for block in blocks {
            h = try block(h, pass)
            if let (pool, kernel) = Self.poolsAfter[block.path] {
                h = pass.tap(pool, try h.maxPool2d(kernel: kernel, stride: 2, ceilMode: true))
            }
        }
        let pooled = pass.tap("avgpool", try h.globalAvgPool())
        return try fc(pooled, pass)
    }

    public func normalizedInput(_ x: Tensor) throws -> Tensor {
        guard normalization == .imagenet, transformInput else { return try ImageNetNormalization.apply(x, normalization) }
        return (x - 0.5) * 2
    }

    public func imageFromNormalized(_ x: Tensor) throws -> Tensor {
        guard normalization == .imagenet, transformInput else { return try ImageNetNormalization.invert(x, normalization) }
        return x * 0.5 + 0.5
    }

    public func parameterCount(of path: String) -> Int { layerTable.parameterCount(of: path) }
    public func kind(of path: String) -> String { layerTable.kind(of: path) }
}

/// One Inception block: four branches (1×1; 1×1 → 3×3; 1×1 → 3×3; 3×3 max pool → 1×1) concatenated by channel.
struct InceptionBlock {
    let path: String
    let branch1: ConvBN
    let branch2: [ConvBN], branch3: [ConvBN]
    let branch4: ConvBN

    /// A torchvision `BasicConv2d` at `path` (`path.conv`, `path.bn`).
    static func unit(_ w: Weights, _ path: String, _ inChannels: Int, _ outChannels: Int, kernel: Int,
                     options: Conv2DOptions = Conv2DOptions()) throws -> ConvBN {
        try ConvBN(w, conv: "\(path).conv", bn: "\(path).bn", inChannels: inChannels, outChannels: outChannels,
                   kernel: kernel, options: options, eps: 1e-3)
    }

    /// The module path of a unit (its ReLU output): the conv path without ".conv".
    static func unitPath(_ unit: ConvBN) -> String { String(unit.convPath.dropLast(".conv".count)) }

    init(_ w: Weights, _ spec: (String, Int, Int, Int, Int, Int, Int, Int)) throws {
        let (name, c, c1, r3, c3, r5, c5, pool) = spec
        let same = Conv2DOptions(stride: 1, padding: 1)
        path = name
        branch1 = try Self.unit(w, "\(name).branch1", c, c1, kernel: 1)
        branch2 = [try Self.unit(w, "\(name).branch2.0", c, r3, kernel: 1),
                   try Self.unit(w, "\(name).branch2.1", r3, c3, kernel: 3, options: same)]
        branch3 = [try Self.unit(w, "\(name).branch3.0", c, r5, kernel: 1),
                   try Self.unit(w, "\(name).branch3.1", r5, c5, kernel: 3, options: same)]
        branch4 = try Self.unit(w, "\(name).branch4.1", c, pool, kernel: 1)
    }

    func callAsFunction(_ x: Tensor, _ pass: ForwardPass) throws -> Tensor {
        func run(_ unit: ConvBN, _ input: Tensor) throws -> Tensor {
            try unit(input, pass, activation: .relu, activationPath: Self.unitPath(unit))
        }
        let b1 = try run(branch1, x)
        let b2 = try run(branch2[1], run(branch2[0], x))
        let b3 = try run(branch3[1], run(branch3[0], x))
        let pooled = pass.tap("\(path).branch4.0", try x.maxPool2d(kernel: 3, stride: 1, padding: 1, ceilMode: true))
        let b4 = try run(branch4, pooled)
        return pass.tap(path, try Tensor.concatenate([b1, b2, b3, b4], axis: 1))
    }
}
