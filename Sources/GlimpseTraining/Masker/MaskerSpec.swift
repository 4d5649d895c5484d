import Foundation
import GlimpseCore
import GlimpseFormats

/// Architecture of a real-time saliency masking model (Dabkowski & Gal 2017) on a frozen classifier:
/// encoder feature maps at several scales, a class selector gating the deepest one, one upsampling block per
/// further scale (conv 3×3 to 4× channels + batch norm + ReLU, pixel shuffle ×2, concatenation with the encoder's
/// skip feature, conv 3×3 + batch norm + ReLU), and a 1×1 head giving two maps a, b with mask = |a|/(|a|+|b|+ε).
/// The mask has the resolution of the shallowest skip and is upsampled bilinearly to the input.
///
/// Departure from the reference code: its upsampler ends in a ResNet bottleneck block; here one conv 3×3 + BN + ReLU
/// fuses the concatenation (fewer operations, for CPU speed).
public struct MaskerSpec: Codable, Sendable, Equatable {
    /// Zoo name of the explained classifier.
    public var model: String
    /// Encoder layers, deepest first; each next one has twice the resolution of the previous.
    public var layers: [String]
    /// Channels of those layers.
    public var layerChannels: [Int]
    /// Output channels of each upsampling block (one per layer after the first).
    public var decoderWidths: [Int]
    public var classCount: Int
    public var inputSize: Int

    /// Fashion-MNIST CNN: features relu3 (7²) and relu2 (14²); a 14×14 mask (mask scale 2).
    public static func fashionMNIST(widths: [Int] = [16, 32, 64]) -> MaskerSpec {
        MaskerSpec(model: "fmnist-cnn", layers: ["relu3", "relu2"], layerChannels: [widths[2], widths[1]],
                   decoderWidths: [32], classCount: 10, inputSize: 28)
    }

    /// Fashion-MNIST CNN with the mask at 1/`maskScale` of the input's resolution (the paper's output fraction):
    /// 2 is `fashionMNIST(widths:)` (14² mask); 1 adds a second upsampling block (16 channels) joining relu1 (28²),
    /// so the mask has the input's full resolution. The encoder has no other scales.
    public static func fashionMNIST(widths: [Int] = [16, 32, 64], maskScale: Int) throws -> MaskerSpec {
        switch maskScale {
        case 2: return fashionMNIST(widths: widths)
        case 1: return MaskerSpec(model: "fmnist-cnn", layers: ["relu3", "relu2", "relu1"], layerChannels: [widths[2], widths[1], widths[0]],
                                  decoderWidths: [32, 16], classCount: 10, inputSize: 28)
        default: throw TrainingError.invalidSetting("the Fashion-MNIST masker's mask scale is 1 (28²) or 2 (14²), not \(maskScale)")
        }
    }

    /// EfficientNet-Lite0: block outputs at strides 32, 16, 8 and 4 (7², 14², 28², 56² at 224²); a 56×56 mask.
    public static let efficientNetLite0 = MaskerSpec(model: "efficientnet-lite0", layers: ["_blocks.15", "_blocks.10", "_blocks.4", "_blocks.2"],
                                                     layerChannels: [320, 112, 40, 24], decoderWidths: [64, 32, 16],
                                                     classCount: 1000, inputSize: 224)

    func check() throws {
        guard layers.count >= 2, layers.count == layerChannels.count, decoderWidths.count == layers.count - 1,
              (layerChannels + decoderWidths).allSatisfy({ $0 >= 1 }), classCount >= 2 else {
            throw TrainingError.invalidSetting("masker spec: \(layers.count) layers, \(layerChannels.count) channel counts and \(decoderWidths.count) decoder widths do not fit")
        }
    }

    /// Keys and shapes of the masker's own parameters (the classifier is not part of it).
    public func shapes() -> [(String, [Int])] {
        var out: [(String, [Int])] = [("selector.embedding", [classCount, layerChannels[0]])]
        var cin = layerChannels[0]
        for (i, w) in decoderWidths.enumerated() {
            out.append(("up\(i).conv.weight", [4 * w, cin, 3, 3]))
            out += bnShapes("up\(i).bn", 4 * w)
            out.append(("up\(i).fuse.weight", [w, w + layerChannels[i + 1], 3, 3]))
            out += bnShapes("up\(i).fusebn", w)
            cin = w
        }
        out.append(("head.weight", [2, cin, 1, 1]))
        out.append(("head.bias", [2]))
        return out
    }

    private func bnShapes(_ p: String, _ c: Int) -> [(String, [Int])] {
        ["weight", "bias", "running_mean", "running_var"].map { ("\(p).\($0)", [c]) }
    }

    /// Keys trained in phase 1 (the selector) and phase 2 (everything else that is not a running statistic).
    public var selectorKeys: [String] { ["selector.embedding"] }
    public var decoderKeys: [String] { shapes().map(\.0).filter { $0 != "selector.embedding" && !$0.contains("running") } }

    /// Fresh parameters: embedding N(0, 1/√C) as the reference, He-normal convolutions, unit batch norm; seeded.
    public func initialParameters(seed: UInt64) throws -> [String: Tensor] {
        try check()
        var rng = SeededRNG(seed: seed)
        var p: [String: Tensor] = [:]
        for (key, shape) in shapes() {
            if key == "selector.embedding" {
                p[key] = Tensor.normal(shape, std: 1 / Float(shape[1]).squareRoot(), rng: &rng)
            } else if key.hasSuffix("conv.weight") || key.hasSuffix("fuse.weight") || key == "head.weight" {
                p[key] = Tensor.normal(shape, std: (2 / Float(shape[1] * shape[2] * shape[3])).squareRoot(), rng: &rng)
            } else {
                p[key] = Tensor(repeating: key.hasSuffix("bn.weight") || key.hasSuffix("running_var") ? 1 : 0, shape: shape)
            }
        }
        return p
    }
}
