import GlimpseCore
import GlimpseFormats

/// MobileNetV2 (Sandler et al. 2018) with torchvision's key names (`features.N…`, `classifier.1`): ReLU6,
/// batch-norm eps 1e-5, symmetric padding k/2. Input normalisation: ImageNet mean and standard deviation, or none.
public final class MobileNetV2: Classifier {
    public let name = "mobilenet_v2"
    public let inputSize = 224
    public let inputChannels = 3
    public let minimumInputSize = 32
    public let classCount: Int
    public var layerPaths: [String] { layerTable.paths }
    public let defaultCAMLayer = "features.18"

    private let normalization: ResNet.InputNormalization
    private let stem: ConvBN
    private let blocks: [InvertedBottleneck]
    private let head: ConvBN
    private let fc: Linear
    private let layerTable: LayerTable

    /// (expansion t, output channels c, repeats n, first stride s) of each stage, as in the paper.
    static let settings: [(Int, Int, Int, Int)] = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                                                   (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    public init(stateDict: StateDict, classCount: Int = 1000, normalization: ResNet.InputNormalization = .imagenet) throws {
        let w = Weights(dict: stateDict)
        self.classCount = classCount
        self.normalization = normalization
        var table = LayerTable()
        stem = try ConvBN(w, conv: "features.0.0", bn: "features.0.1", inChannels: 3, outChannels: 32, kernel: 3,
                          options: Conv2DOptions(stride: 2, padding: 1), eps: 1e-5)
        table.note("features.0.0", "Conv2d", stem.parameterCount); table.note("features.0.1", "BatchNorm2d", 64); table.note("features.0", "ReLU6")
        var built: [InvertedBottleneck] = []
        var inChannels = 32
        for (t, c, n, s) in Self.settings {
            for i in 0..<n {
                let p = "features.\(built.count + 1)"
                let d = t == 1 ? 0 : 1      // torchvision numbers the depthwise part after the optional expansion
                let names = InvertedBottleneck.Names(
                    block: p, expandConv: "\(p).conv.0.0", expandBN: "\(p).conv.0.1", expandAct: "\(p).expand_act",
                    depthwiseConv: "\(p).conv.\(d).0", depthwiseBN: "\(p).conv.\(d).1", depthwiseAct: "\(p).depthwise_act",
                    projectConv: "\(p).conv.\(d + 1)", projectBN: "\(p).conv.\(d + 2)", kind: "InvertedResidual")
                let block = try InvertedBottleneck(w, names: names, inChannels: inChannels, outChannels: c, kernel: 3, expansion: t,
                                                   depthwiseOptions: Conv2DOptions(stride: i == 0 ? s : 1, padding: 1, groups: inChannels * t),
                                                   eps: 1e-5)
                for (path, kind, params) in block.layers { table.note(path, kind, params) }
                built.append(block)
                inChannels = c
            }
        }
        blocks = built
        head = try ConvBN(w, conv: "features.18.0", bn: "features.18.1", inChannels: 320, outChannels: 1280, kernel: 1,
                          options: Conv2DOptions(), eps: 1e-5)
        table.note("features.18.0", "Conv2d", head.parameterCount); table.note("features.18.1", "BatchNorm2d", 2560); table.note("features.18", "ReLU6")
        table.note("avgpool", "AdaptiveAvgPool2d")
        fc = try Linear(w, "classifier.1", inFeatures: 1280, outFeatures: classCount)
        table.note("classifier.1", "Linear", 1280 * classCount + classCount)
        layerTable = table
    }

    public func forward(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
        var h = try stem(normalizedInput(x), pass, activation: .relu6, activationPath: "features.0")
        for block in blocks { h = try block(h, pass) }
        h = try head(h, pass, activation: .relu6, activationPath: "features.18")
        return try fc(pass.tap("avgpool", try h.globalAvgPool()), pass)
    }

    public func normalizedInput(_ x: Tensor) throws -> Tensor { try ImageNetNormalization.apply(x, normalization) }
    public func imageFromNormalized(_ x: Tensor) throws -> Tensor { try ImageNetNormalization.invert(x, normalization) }
    public func parameterCount(of path: String) -> Int { layerTable.parameterCount(of: path) }
    public func kind(of path: String) -> String { layerTable.kind(of: path) }
}
