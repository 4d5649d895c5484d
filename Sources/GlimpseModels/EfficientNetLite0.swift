import GlimpseCore
import GlimpseFormats

/// EfficientNet-Lite0 (Tan & Le 2019, "lite" variant): ReLU6, no squeeze-excitation, batch-norm eps 1e-3,
/// TensorFlow-"same" padding, 16 MBConv blocks in stages of 1, 2, 2, 3, 3, 4, 1.
/// Key names follow lukemelas' EfficientNet-PyTorch (`_conv_stem`, `_blocks.N._expand_conv`, …, `_fc`).
/// Input normalisation inside the model: `(x·255 − 127)/128`.
public final class EfficientNetLite0: Classifier {
    public let name = "efficientnet-lite0"
    public let inputSize = 224
    public let inputChannels = 3
    public let minimumInputSize = 32
    public let classCount: Int
    public let layerPaths: [String]
    public let defaultCAMLayer = "_head_act"

    private let stem: ConvBN
    private let blocks: [MBConvBlock]
    private let head: ConvBN
    private let fc: Linear
    private let kinds: [String: String]
    private let parameters: [String: Int]

    /// (repeats, kernel, stride, expansion, output channels) of each stage.
    static let stages: [(Int, Int, Int, Int, Int)] = [
        (1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
        (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320),
    ]

    /// Static TF-"same" padding as the reference implementation has it for 224×224 inputs
    /// (stride 2: 3×3 pads 0 top/left and 1 bottom/right, 5×5 pads 1 and 2; stride 1: k/2 on every side).
    static func samePadding(kernel k: Int, stride s: Int, groups: Int = 1) -> Conv2DOptions {
        if s == 1 { return Conv2DOptions(stride: 1, padding: k / 2, groups: groups) }
        let total = k - s
        return Conv2DOptions(strideY: s, strideX: s, padTop: total / 2, padBottom: total - total / 2,
                             padLeft: total / 2, padRight: total - total / 2, groups: groups)
    }

    /// Builds the network from a state dict; every tensor is checked against the expected shape.
    public init(stateDict: StateDict, classCount: Int = 1000) throws {
        let w = Weights(dict: stateDict)
        let eps: Float = 1e-3
        self.classCount = classCount
        var paths: [String] = []
        var kindTable: [String: String] = [:], parameterTable: [String: Int] = [:]
        func note(_ path: String, _ kind: String, _ params: Int = 0) {
            paths.append(path); kindTable[path] = kind; parameterTable[path] = params
        }
        stem = try ConvBN(w, conv: "_conv_stem", bn: "_bn0", inChannels: 3, outChannels: 32, kernel: 3,
                          options: Self.samePadding(kernel: 3, stride: 2), eps: eps)
        note("_conv_stem", "Conv2d", stem.parameterCount); note("_bn0", "BatchNorm2d", 64); note("_stem_act", "ReLU6")
        var built: [MBConvBlock] = []
        var inChannels = 32
        for (repeats, kernel, stride, expansion, outChannels) in Self.stages {
            for r in 0..<repeats {
                let index = built.count
                let block = try MBConvBlock(w, index: index, inChannels: inChannels, outChannels: outChannels,
                                            kernel: kernel, stride: r == 0 ? stride : 1, expansion: expansion, eps: eps)
                for (path, kind, params) in block.layers { note(path, kind, params) }
                built.append(block)
                inChannels = outChannels
            }
        }
        blocks = built
        head = try ConvBN(w, conv: "_conv_head", bn: "_bn1", inChannels: 320, outChannels: 1280, kernel: 1,
                          options: Conv2DOptions(), eps: eps)
        note("_conv_head", "Conv2d", head.parameterCount); note("_bn1", "BatchNorm2d", 2560); note("_head_act", "ReLU6")
        note("_avg_pool", "AdaptiveAvgPool2d")
        fc = try Linear(w, "_fc", inFeatures: 1280, outFeatures: classCount)
        note("_fc", "Linear", 1280 * classCount + classCount)
        layerPaths = paths
        kinds = kindTable
        parameters = parameterTable
    }

    public func forward(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
        var h = try normalizedInput(x)
        h = try stem(h, pass, activation: .relu6, activationPath: "_stem_act")
        for block in blocks { h = try block(h, pass) }
        h = try head(h, pass, activation: .relu6, activationPath: "_head_act")
        let pooled = pass.tap("_avg_pool", try h.globalAvgPool())
        return try fc(pooled, pass)
    }

    /// `(x·255 − 127)/128`.
    public func normalizedInput(_ x: Tensor) throws -> Tensor { try (x * 255 - 127) * (1 / 128) }
    public func imageFromNormalized(_ x: Tensor) throws -> Tensor { try (x * 128 + 127) * (1 / 255) }

    public func parameterCount(of path: String) -> Int { parameters[path] ?? 0 }
    public func kind(of path: String) -> String { kinds[path] ?? "" }
}

/// Mobile inverted bottleneck: optional 1×1 expansion, depthwise k×k, 1×1 projection, residual when shapes allow.
struct MBConvBlock {
    let path: String
    let expand: ConvBN?
    let depthwise: ConvBN
    let project: ConvBN
    let residual: Bool

    init(_ w: Weights, index: Int, inChannels: Int, outChannels: Int, kernel: Int, stride: Int, expansion: Int, eps: Float) throws {
        path = "_blocks.\(index)"
        let hidden = inChannels * expansion
        expand = expansion == 1 ? nil : try ConvBN(w, conv: "\(path)._expand_conv", bn: "\(path)._bn0", inChannels: inChannels,
                                                     outChannels: hidden, kernel: 1, options: Conv2DOptions(), eps: eps)
        depthwise = try ConvBN(w, conv: "\(path)._depthwise_conv", bn: "\(path)._bn1", inChannels: hidden, outChannels: hidden,
                               kernel: kernel, options: EfficientNetLite0.samePadding(kernel: kernel, stride: stride, groups: hidden), eps: eps)
        project = try ConvBN(w, conv: "\(path)._project_conv", bn: "\(path)._bn2", inChannels: hidden, outChannels: outChannels,
                             kernel: 1, options: Conv2DOptions(), eps: eps)
        residual = stride == 1 && inChannels == outChannels
    }

    /// (path, kind, parameter count) of every addressable layer inside, in execution order, then the block itself.
    var layers: [(String, String, Int)] {
        var out: [(String, String, Int)] = []
        if let expand {
            out += [(expand.convPath, "Conv2d", expand.parameterCount), (expand.bn.path, "BatchNorm2d", 2 * expand.bn.weight.count),
                    ("\(path)._expand_act", "ReLU6", 0)]
        }
        out += [(depthwise.convPath, "Conv2d (depthwise)", depthwise.parameterCount),
                (depthwise.bn.path, "BatchNorm2d", 2 * depthwise.bn.weight.count), ("\(path)._depthwise_act", "ReLU6", 0),
                (project.convPath, "Conv2d", project.parameterCount), (project.bn.path, "BatchNorm2d", 2 * project.bn.weight.count),
                (path, "MBConvBlock", 0)]
        return out
    }

    func callAsFunction(_ x: Tensor, _ pass: ForwardPass) throws -> Tensor {
        var h = x
        if let expand { h = try expand(h, pass, activation: .relu6, activationPath: "\(path)._expand_act") }
        h = try depthwise(h, pass, activation: .relu6, activationPath: "\(path)._depthwise_act")
        h = try project(h, pass)
        if residual { h = try h + x }
        return pass.tap(path, h)
    }
}
