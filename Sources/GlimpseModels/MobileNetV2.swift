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
    public let layerPaths: [String]
    public let defaultCAMLayer = "features.18"

    private let normalization: ResNet.InputNormalization
    private let stem: ConvBN
    private let blocks: [InvertedResidual]
    private let head: ConvBN
    private let fc: Linear
    private let kinds: [String: String]
    private let parameters: [String: Int]

    /// (expansion t, output channels c, repeats n, first stride s) of each stage, as in the paper.
    static let settings: [(Int, Int, Int, Int)] = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                                                   (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    public init(stateDict: StateDict, classCount: Int = 1000, normalization: ResNet.InputNormalization = .imagenet) throws {
        let w = Weights(dict: stateDict)
        self.classCount = classCount
        self.normalization = normalization
        var paths: [String] = [], kindTable: [String: String] = [:], parameterTable: [String: Int] = [:]
        func note(_ path: String, _ kind: String, _ params: Int = 0) { paths.append(path); kindTable[path] = kind; parameterTable[path] = params }
        stem = try ConvBN(w, conv: "features.0.0", bn: "features.0.1", inChannels: 3, outChannels: 32, kernel: 3,
                          options: Conv2DOptions(stride: 2, padding: 1), eps: 1e-5)
        note("features.0.0", "Conv2d", stem.parameterCount); note("features.0.1", "BatchNorm2d", 64); note("features.0", "ReLU6")
        var built: [InvertedResidual] = []
        var inChannels = 32
        for (t, c, n, s) in Self.settings {
            for i in 0..<n {
                let block = try InvertedResidual(w, index: built.count + 1, inChannels: inChannels, outChannels: c,
                                                 stride: i == 0 ? s : 1, expansion: t)
                for (path, kind, params) in block.layers { note(path, kind, params) }
                built.append(block)
                inChannels = c
            }
        }
        blocks = built
        head = try ConvBN(w, conv: "features.18.0", bn: "features.18.1", inChannels: 320, outChannels: 1280, kernel: 1,
                          options: Conv2DOptions(), eps: 1e-5)
        note("features.18.0", "Conv2d", head.parameterCount); note("features.18.1", "BatchNorm2d", 2560); note("features.18", "ReLU6")
        note("avgpool", "AdaptiveAvgPool2d")
        fc = try Linear(w, "classifier.1", inFeatures: 1280, outFeatures: classCount)
        note("classifier.1", "Linear", 1280 * classCount + classCount)
        layerPaths = paths
        kinds = kindTable
        parameters = parameterTable
    }

    public func forward(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
        var h = try stem(normalizedInput(x), pass, activation: .relu6, activationPath: "features.0")
        for block in blocks { h = try block(h, pass) }
        h = try head(h, pass, activation: .relu6, activationPath: "features.18")
        return try fc(pass.tap("avgpool", try h.globalAvgPool()), pass)
    }

    public func normalizedInput(_ x: Tensor) throws -> Tensor { try ImageNetNormalization.apply(x, normalization) }
    public func imageFromNormalized(_ x: Tensor) throws -> Tensor { try ImageNetNormalization.invert(x, normalization) }
    public func parameterCount(of path: String) -> Int { parameters[path] ?? 0 }
    public func kind(of path: String) -> String { kinds[path] ?? "" }
}

/// torchvision's InvertedResidual: [1×1 expand + BN + ReLU6] (skipped when t = 1), depthwise 3×3 + BN + ReLU6,
/// 1×1 project + BN, residual when stride 1 and shapes match.
struct InvertedResidual {
    let path: String
    let expand: ConvBN?
    let depthwise: ConvBN
    let project: ConvBN
    let residual: Bool

    init(_ w: Weights, index: Int, inChannels: Int, outChannels: Int, stride: Int, expansion: Int) throws {
        path = "features.\(index)"
        let hidden = inChannels * expansion
        var i = 0
        if expansion != 1 {
            expand = try ConvBN(w, conv: "\(path).conv.0.0", bn: "\(path).conv.0.1", inChannels: inChannels, outChannels: hidden,
                                kernel: 1, options: Conv2DOptions(), eps: 1e-5)
            i = 1
        } else {
            expand = nil
        }
        depthwise = try ConvBN(w, conv: "\(path).conv.\(i).0", bn: "\(path).conv.\(i).1", inChannels: hidden, outChannels: hidden,
                               kernel: 3, options: Conv2DOptions(stride: stride, padding: 1, groups: hidden), eps: 1e-5)
        project = try ConvBN(w, conv: "\(path).conv.\(i + 1)", bn: "\(path).conv.\(i + 2)", inChannels: hidden, outChannels: outChannels,
                             kernel: 1, options: Conv2DOptions(), eps: 1e-5)
        residual = stride == 1 && inChannels == outChannels
    }

    var layers: [(String, String, Int)] {
        var out: [(String, String, Int)] = []
        if let expand {
            out += [(expand.convPath, "Conv2d", expand.parameterCount), (expand.bn.path, "BatchNorm2d", 2 * expand.bn.weight.count),
                    ("\(path).expand_act", "ReLU6", 0)]
        }
        out += [(depthwise.convPath, "Conv2d (depthwise)", depthwise.parameterCount),
                (depthwise.bn.path, "BatchNorm2d", 2 * depthwise.bn.weight.count), ("\(path).depthwise_act", "ReLU6", 0),
                (project.convPath, "Conv2d", project.parameterCount), (project.bn.path, "BatchNorm2d", 2 * project.bn.weight.count),
                (path, "InvertedResidual", 0)]
        return out
    }

    func callAsFunction(_ x: Tensor, _ pass: ForwardPass) throws -> Tensor {
        var h = x
        if let expand { h = try expand(h, pass, activation: .relu6, activationPath: "\(path).expand_act") }
        h = try depthwise(h, pass, activation: .relu6, activationPath: "\(path).depthwise_act")
        h = try project(h, pass)
        if residual { h = try h + x }
        return pass.tap(path, h)
    }
}
