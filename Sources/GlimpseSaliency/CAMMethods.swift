import GlimpseCore
import GlimpseModels

/// Activations A [C, h, w] of the explained layer and the target's gradients G with respect to them, for one image.
public struct LayerEvidence {
    public let activations: Tensor
    public let gradients: Tensor
    public var channels: Int { activations.shape[0] }
}

/// A class activation map method: channel weights w_k, and a map `ReLU(Σ_k w_k A_k)` unless the method overrides `rawMap`.
public protocol CAMMethod {
    /// Short name used on the command line.
    var name: String { get }
    /// Per-channel weights from the layer evidence.
    func channelWeights(_ evidence: LayerEvidence) throws -> [Float]
    /// The map at the layer's resolution [h, w], before normalisation (after the final ReLU).
    func rawMap(_ evidence: LayerEvidence) throws -> Tensor
}

extension CAMMethod {
    public func rawMap(_ evidence: LayerEvidence) throws -> Tensor {
        let w = try Tensor(channelWeights(evidence), shape: [evidence.channels, 1, 1])
        return try withoutGradient { try (evidence.activations * w).sum(axes: [0]).relu() }
    }
}

/// Grad-CAM (Selvaraju et al. 2017): w_k = mean_ij G_kij.
public struct GradCAM: CAMMethod {
    public let name = "gradcam"
    public init() {}
    public func channelWeights(_ e: LayerEvidence) throws -> [Float] { try e.gradients.mean(axes: [1, 2]).scalars }
}

/// Grad-CAM++ (Chattopadhay et al. 2018) as pytorch-grad-cam computes it:
/// a_kij = G² / (2G² + S_k G³ + 1e-6) with S_k = Σ_ij A_kij (0 where G = 0), w_k = Σ_ij ReLU(G_kij) a_kij.
public struct GradCAMPlusPlus: CAMMethod {
    public let name = "gradcam++"
    public init() {}
    public func channelWeights(_ e: LayerEvidence) throws -> [Float] {
        let (c, n) = (e.channels, e.activations.count / e.channels)
        let a = e.activations.scalars, g = e.gradients.scalars
        return (0..<c).map { k in
            let s = (0..<n).reduce(Float(0)) { $0 + a[k * n + $1] }
            return (0..<n).reduce(Float(0)) { acc, i in
                let gv = g[k * n + i]
                guard gv != 0 else { return acc }
                let g2 = gv * gv
                let alpha = g2 / (2 * g2 + s * g2 * gv + 1e-6)
                return acc + max(gv, 0) * alpha
            }
        }
    }
}

/// XGrad-CAM (Fu et al. 2020): w_k = Σ_ij G_kij A_kij / (Σ_ij A_kij + 1e-7).
public struct XGradCAM: CAMMethod {
    public let name = "xgradcam"
    public init() {}
    public func channelWeights(_ e: LayerEvidence) throws -> [Float] {
        let num = try withoutGradient { try (e.gradients * e.activations).sum(axes: [1, 2]).scalars }
        let den = try e.activations.sum(axes: [1, 2]).scalars
        return zip(num, den).map { $0 / ($1 + 1e-7) }
    }
}

/// HiResCAM (Draelos & Carin 2020): ReLU(Σ_k G_k ⊙ A_k), element-wise.
public struct HiResCAM: CAMMethod {
    public let name = "hirescam"
    public init() {}
    public func channelWeights(_ e: LayerEvidence) throws -> [Float] { try e.gradients.mean(axes: [1, 2]).scalars }
    public func rawMap(_ e: LayerEvidence) throws -> Tensor {
        try withoutGradient { try (e.gradients * e.activations).sum(axes: [0]).relu() }
    }
}

/// LayerCAM (Jiang et al. 2021): ReLU(Σ_k ReLU(G_k) ⊙ A_k).
public struct LayerCAM: CAMMethod {
    public let name = "layercam"
    public init() {}
    public func channelWeights(_ e: LayerEvidence) throws -> [Float] { try e.gradients.relu().mean(axes: [1, 2]).scalars }
    public func rawMap(_ e: LayerEvidence) throws -> Tensor {
        try withoutGradient { try (e.gradients.relu() * e.activations).sum(axes: [0]).relu() }
    }
}

/// Running CAM methods on a model: capture the layer, differentiate the target with respect to it (only the
/// network after the layer is walked), post-process like pytorch-grad-cam.
public enum CAM {
    /// Every gradient-based CAM method by name.
    public static let methods: [any CAMMethod] = [GradCAM(), GradCAMPlusPlus(), XGradCAM(), HiResCAM(), LayerCAM()]

    public static func method(named name: String) throws -> any CAMMethod {
        guard let m = methods.first(where: { $0.name == name }) else {
            throw SaliencyError.unknownMethod(name, known: methods.map(\.name) + ["scorecam"])
        }
        return m
    }

    /// Activations and gradients at `layer` for one image x [1, C, H, W].
    public static func evidence(_ model: any Classifier, _ x: Tensor, layer: String, target: SaliencyTarget) throws -> LayerEvidence {
        guard x.rank == 4, x.shape[0] == 1 else { throw SaliencyError.badOption("CAM methods take one image [1, C, H, W], found \(x.shape)") }
        let result = try model.run(x.detached(), capturing: [layer])
        let a = try result.layer(layer)
        guard a.rank == 4 else { throw SaliencyError.badOption("layer \(layer) is not a feature map (shape \(a.shape))") }
        let g = try gradient(of: target.score(result.logits), wrt: [a])[0]
        let shape = Array(a.shape.dropFirst())
        return LayerEvidence(activations: try a.detached().reshaped(shape), gradients: try g.reshaped(shape))
    }

    /// pytorch-grad-cam's post-processing: ReLU, min-max (1e-7), bilinear resize (half-pixel) to `height`×`width`,
    /// ReLU, min-max again. Input [h, w], output [height, width] in [0, 1].
    public static func normalizedMap(_ raw: Tensor, height: Int, width: Int) throws -> Tensor {
        try withoutGradient {
            func minMax(_ m: Tensor) throws -> Tensor {
                let v = m.scalars
                let lo = v.min() ?? 0
                let span = (v.max() ?? 0) - lo
                return try (m - lo) * (1 / (1e-7 + span))
            }
            let scaled = try minMax(raw.relu())
            let resized = try scaled.reshaped([1, 1] + raw.shape).resizedBilinear(height: height, width: width)
            return try minMax(resized.relu()).reshaped([height, width])
        }
    }

    /// The raw map and the normalised input-resolution map of `method` at `layer`.
    public static func map(_ method: any CAMMethod, model: any Classifier, _ x: Tensor, layer: String,
                           target: SaliencyTarget) throws -> (raw: Tensor, map: Tensor) {
        let e = try evidence(model, x, layer: layer, target: target)
        let raw = try method.rawMap(e)
        return (raw, try normalizedMap(raw, height: x.shape[2], width: x.shape[3]))
    }
}
