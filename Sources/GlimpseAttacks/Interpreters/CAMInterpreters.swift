import GlimpseCore
import GlimpseModels

/// CAM and Grad-CAM on the layer's native grid (EfficientNet-Lite0: `_head_act`, 1280×7×7), as the attacks see them.
///
/// - `.cam` (Zhou et al. 2016, as ADV² attacks it): `Σ_k w_k A_k(x)` with w_k = Σ_ij ∂z_y/∂A_kij, which is the
///   classifier weight W[y, k] when the layer is followed by global average pooling and a linear layer; no ReLU;
///   per image `(v − min)/max` (floor 1e-8).
/// - `.gradcam` (Selvaraju et al. 2017): `ReLU(Σ_k w_k A_k)` with w_k = mean_ij ∂z_y/∂A_kij, min-max with
///   pytorch-grad-cam's floor 1e-7. Not in the ADV²/AdvEdge papers; it is attacked with CAM's schedule.
///
/// The weights are taken as constants (exact for such heads); the map is differentiable through A(x). One forward
/// pass gives both the map and the logits.
public struct CAMInterpreter: AttackableInterpreter {
    public enum Variant: String, Sendable { case cam, gradcam }

    public var variant: Variant
    /// Layer explained (default: the model's `defaultCAMLayer`).
    public var layer: String?

    public init(_ variant: Variant = .cam, layer: String? = nil) {
        self.variant = variant
        self.layer = layer
    }

    public var name: String { variant.rawValue }
    public var lossReduction: MapLossReduction { .mean }

    public func attackTerms(_ model: any Classifier, _ x: Tensor, classes: [Int]) throws -> (map: Tensor, logits: Tensor) {
        try InterpreterSupport.check(model, x, classes: classes)
        let layer = layerName(model)
        let result = try model.run(x, capturing: [layer])
        let a = try result.layer(layer)
        guard a.rank == 4 else { throw AttackError.badParameter("layer \(layer) is not a feature map (shape \(a.shape))") }
        let g = try gradient(of: result.logits.picking(classes).sum(), wrt: [a])[0]
        let weights = try (variant == .cam ? g.sum(axes: [2, 3], keepDims: true) : g.mean(axes: [2, 3], keepDims: true)).detached()
        let raw = try (a * weights).sum(axes: [1])
        let map = variant == .cam ? try MapNormalization.minMax(raw, floor: 1e-8) : try MapNormalization.minMax(raw.relu(), floor: 1e-7)
        return (map, result.logits)
    }

    public func map(_ model: any Classifier, _ x: Tensor, classes: [Int]) throws -> Tensor {
        try attackTerms(model, x.detached(), classes: classes).map.detached()
    }

    private func layerName(_ model: any Classifier) -> String { layer ?? model.defaultCAMLayer }
}
