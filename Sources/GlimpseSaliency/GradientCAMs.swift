import GlimpseCore

/// CAM (Zhou et al. 2016): w_k = Σ_ij G_kij. At a layer followed only by global average pooling and a linear
/// classifier, G_kij = W_ck / (h·w) at every position, so w_k is exactly the classifier weight W_ck
/// (for EfficientNet-Lite0 at `_head_act`, CAM = 49 × Grad-CAM). At other layers it is h·w × Grad-CAM.
public struct ClassActivationMapping: CAMMethod {
    public let name = "cam"
    public init() {}
    public func channelWeights(_ e: LayerEvidence) throws -> Tensor {
        try e.gradients.sum(axes: [1, 2], keepDims: true)
    }
}

/// Grad-CAM (Selvaraju et al. 2017): w_k = mean_ij G_kij.
public struct GradCAM: CAMMethod {
    public let name = "gradcam"
    public init() {}
    public func channelWeights(_ e: LayerEvidence) throws -> Tensor {
        try e.gradients.mean(axes: [1, 2], keepDims: true)
    }
}

/// Grad-CAM++ (Chattopadhay et al. 2018) as pytorch-grad-cam computes it (the paper's Eq. 19):
/// α_kij = G² / (2G² + S_k G³ + 1e-6) with S_k = Σ_ij A_kij (α = 0 where G = 0), w_k = Σ_ij ReLU(G_kij) α_kij.
public struct GradCAMPlusPlus: CAMMethod {
    public let name = "gradcam++"
    public init() {}
    public func channelWeights(_ e: LayerEvidence) throws -> Tensor {
        let (c, n) = (e.channels, e.activations.count / e.channels)
        let a = e.activations.scalars, g = e.gradients.scalars
        let weights = (0..<c).map { k -> Float in
            let s = a[(k * n)..<((k + 1) * n)].reduce(0, +)
            return g[(k * n)..<((k + 1) * n)].reduce(Float(0)) { acc, gv in
                guard gv > 0 else { return acc }     // ReLU(G) · α, and α = 0 where G = 0
                let g2 = gv * gv
                return acc + gv * (g2 / (2 * g2 + s * g2 * gv + 1e-6))
            }
        }
        return try Tensor(weights, shape: [c, 1, 1])
    }
}

/// XGrad-CAM (Fu et al. 2020): w_k = Σ_ij G_kij A_kij / (Σ_ij A_kij + 1e-7).
public struct XGradCAM: CAMMethod {
    public let name = "xgradcam"
    public init() {}
    public func channelWeights(_ e: LayerEvidence) throws -> Tensor {
        try withoutGradient {
            try (e.gradients * e.activations).sum(axes: [1, 2], keepDims: true)
                / (e.activations.sum(axes: [1, 2], keepDims: true) + 1e-7)
        }
    }
}

/// HiResCAM (Draelos & Carin 2020): element-wise weights G, map ReLU(Σ_k G_k ⊙ A_k).
public struct HiResCAM: CAMMethod {
    public let name = "hirescam"
    public init() {}
    public func channelWeights(_ e: LayerEvidence) throws -> Tensor { e.gradients }
}

/// LayerCAM (Jiang et al. 2021): element-wise weights ReLU(G), map ReLU(Σ_k ReLU(G_k) ⊙ A_k).
public struct LayerCAM: CAMMethod {
    public let name = "layercam"
    public init() {}
    public func channelWeights(_ e: LayerEvidence) throws -> Tensor { withoutGradient { e.gradients.relu() } }
}
