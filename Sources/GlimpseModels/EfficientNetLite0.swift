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
    public var layerPaths: [String] { layerTable.paths }
    public let defaultCAMLayer = "_head_act"

    private let stem: ConvBN
    private let blocks: [InvertedBottleneck]
    private let head: ConvBN
    private let fc: Linear
    private let layerTable: LayerTable

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

    private init(copying m: EfficientNetLite0, stem: ConvBN, blocks: [InvertedBottleneck]) {
        (classCount, self.stem, self.blocks, head, fc, layerTable) = (m.classCount, stem, blocks, m.head, m.fc, m.layerTable)
    }

    /// The same network with TensorFlow-"same" pads computed from each input's size in the stride-2 convolutions
    /// (TensorFlow's own behaviour, and PyTorch's EfficientNet with `image_size=None`). Identical at 224×224 and at
    /// every side that stays even through the strides (multiples of 32); at other sizes the static 224 pads shift the
    /// sampling grid and drop an output row and column wherever a stride-2 layer sees an odd side.
    public func padsSamePerInput() -> EfficientNetLite0 {
        var stem = self.stem
        stem.padsSamePerInput = true
        let blocks = self.blocks.map { block -> InvertedBottleneck in
            var b = block
            b.depthwise.padsSamePerInput = b.depthwise.options.strideY > 1
            return b
        }
        return EfficientNetLite0(copying: self, stem: stem, blocks: blocks)
    }

    /// Builds the network from a state dict; every tensor is checked against the expected shape.
    public init(stateDict: StateDict, classCount: Int = 1000) throws {
        let w = Weights(dict: stateDict)
        let eps: Float = 1e-3
        self.classCount = classCount
        var table = LayerTable()
        stem = try ConvBN(w, conv: "_conv_stem", bn: "_bn0", inChannels: 3, outChannels: 32, kernel: 3,
                          options: Self.samePadding(kernel: 3, stride: 2), eps: eps)
        table.note("_conv_stem", "Conv2d", stem.parameterCount); table.note("_bn0", "BatchNorm2d", 64); table.note("_stem_act", "ReLU6")
        var built: [InvertedBottleneck] = []
        var inChannels = 32
        for (repeats, kernel, stride, expansion, outChannels) in Self.stages {
            for r in 0..<repeats {
                let index = built.count
                let p = "_blocks.\(index)"
                let names = InvertedBottleneck.Names(
                    block: p, expandConv: "\(p)._expand_conv", expandBN: "\(p)._bn0", expandAct: "\(p)._expand_act",
                    depthwiseConv: "\(p)._depthwise_conv", depthwiseBN: "\(p)._bn1", depthwiseAct: "\(p)._depthwise_act",
                    projectConv: "\(p)._project_conv", projectBN: "\(p)._bn2", kind: "MBConvBlock")
                let hidden = inChannels * expansion
                let block = try InvertedBottleneck(w, names: names, inChannels: inChannels, outChannels: outChannels, kernel: kernel,
                                                   expansion: expansion,
                                                   depthwiseOptions: Self.samePadding(kernel: kernel, stride: r == 0 ? stride : 1, groups: hidden),
                                                   eps: eps)
                for (path, kind, params) in block.layers { table.note(path, kind, params) }
                built.append(block)
                inChannels = outChannels
            }
        }
        blocks = built
        head = try ConvBN(w, conv: "_conv_head", bn: "_bn1", inChannels: 320, outChannels: 1280, kernel: 1,
                          options: Conv2DOptions(), eps: eps)
        table.note("_conv_head", "Conv2d", head.parameterCount); table.note("_bn1", "BatchNorm2d", 2560); table.note("_head_act", "ReLU6")
        table.note("_avg_pool", "AdaptiveAvgPool2d")
        fc = try Linear(w, "_fc", inFeatures: 1280, outFeatures: classCount)
        table.note("_fc", "Linear", 1280 * classCount + classCount)
        layerTable = table
    }

    public func forward(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
        let h = try stem(normalizedInput(x), pass, activation: .relu6, activationPath: "_stem_act")
        return try forward(from: "_stem_act", h, pass: pass)
    }

    /// `_stem_act`, every block `_blocks.N`, `_bn1`, `_head_act` and `_avg_pool`.
    public var resumableLayers: [String] { ["_stem_act"] + blocks.map(\.names.block) + ["_bn1", "_head_act", "_avg_pool"] }

    /// Global average pooling and the linear classifier follow `_head_act` (dropout is off in inference).
    public func tailIsAffine(from layer: String) -> Bool { layer == "_head_act" || layer == "_avg_pool" }

    public func forward(from layer: String, _ activation: Tensor, pass: ForwardPass) throws -> Tensor {
        var h = activation
        switch layer {
        case "_avg_pool": return try fc(h, pass)
        case "_head_act": break
        case "_bn1": h = pass.tap("_head_act", h.relu6())
        default:
            guard let start = layer == "_stem_act" ? 0 : blocks.firstIndex(where: { $0.names.block == layer }).map({ $0 + 1 }) else {
                throw ModelError.cannotResume(model: name, layer: layer, supported: resumableLayers)
            }
            for block in blocks[start...] { h = try block(h, pass) }
            h = try head(h, pass, activation: .relu6, activationPath: "_head_act")
        }
        return try fc(pass.tap("_avg_pool", try h.globalAvgPool()), pass)
    }

    /// `(x·255 − 127)/128`.
    public func normalizedInput(_ x: Tensor) throws -> Tensor { (x * 255 - 127) * (1 / 128) }
    public func imageFromNormalized(_ x: Tensor) throws -> Tensor { (x * 128 + 127) * (1 / 255) }

    public func parameterCount(of path: String) -> Int { layerTable.parameterCount(of: path) }
    public func kind(of path: String) -> String { layerTable.kind(of: path) }
}
