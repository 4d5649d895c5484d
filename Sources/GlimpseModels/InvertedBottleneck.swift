import GlimpseCore

/// Mobile inverted bottleneck (MobileNetV2's InvertedResidual, EfficientNet's MBConv without squeeze-excitation):
/// optional 1×1 expansion + BN + ReLU6, depthwise k×k + BN + ReLU6, 1×1 projection + BN, residual when the stride
/// is 1 and the channel counts match. Each model supplies its own key names.
struct InvertedBottleneck {
    /// State-dict paths of one block's parts.
    struct Names {
        var block: String
        var expandConv: String, expandBN: String, expandAct: String
        var depthwiseConv: String, depthwiseBN: String, depthwiseAct: String
        var projectConv: String, projectBN: String
        var kind: String
    }

    let names: Names
    let expand: ConvBN?
    var depthwise: ConvBN
    let project: ConvBN
    let residual: Bool

    init(_ w: Weights, names: Names, inChannels: Int, outChannels: Int, kernel: Int, expansion: Int,
         depthwiseOptions: Conv2DOptions, eps: Float) throws {
        self.names = names
        let hidden = inChannels * expansion
        expand = expansion == 1 ? nil : try ConvBN(w, conv: names.expandConv, bn: names.expandBN, inChannels: inChannels,
                                                     outChannels: hidden, kernel: 1, options: Conv2DOptions(), eps: eps)
        depthwise = try ConvBN(w, conv: names.depthwiseConv, bn: names.depthwiseBN, inChannels: hidden, outChannels: hidden,
                               kernel: kernel, options: depthwiseOptions, eps: eps)
        project = try ConvBN(w, conv: names.projectConv, bn: names.projectBN, inChannels: hidden, outChannels: outChannels,
                             kernel: 1, options: Conv2DOptions(), eps: eps)
        residual = depthwiseOptions.strideY == 1 && depthwiseOptions.strideX == 1 && inChannels == outChannels
    }

    /// (path, kind, parameter count) of every addressable layer inside, in execution order, then the block itself.
    var layers: [(String, String, Int)] {
        var out: [(String, String, Int)] = []
        if let expand {
            out += [(expand.convPath, "Conv2d", expand.parameterCount), (expand.bn.path, "BatchNorm2d", 2 * expand.bn.weight.count),
                    (names.expandAct, "ReLU6", 0)]
        }
        out += [(depthwise.convPath, "Conv2d (depthwise)", depthwise.parameterCount),
                (depthwise.bn.path, "BatchNorm2d", 2 * depthwise.bn.weight.count), (names.depthwiseAct, "ReLU6", 0),
                (project.convPath, "Conv2d", project.parameterCount), (project.bn.path, "BatchNorm2d", 2 * project.bn.weight.count),
                (names.block, names.kind, 0)]
        return out
    }

    func callAsFunction(_ x: Tensor, _ pass: ForwardPass) throws -> Tensor {
        var h = x
        if let expand { h = try expand(h, pass, activation: .relu6, activationPath: names.expandAct) }
        h = try depthwise(h, pass, activation: .relu6, activationPath: names.depthwiseAct)
        h = try project(h, pass)
        if residual { h = try h + x }
        return pass.tap(names.block, h)
    }
}
