import GlimpseCore
import GlimpseModels

/// CAM (Zhou et al. 2016) as ADV² attacks it: `CAM_y(x) = Σ_k w_k A_k(x)` at the model's CAM layer
/// (EfficientNet-Lite0: `_head_act`, 1280×7×7), normalised per image by `(v − min)/max` (floor 1e-8), no ReLU.
/// w_k = Σ_ij ∂z_y/∂A_kij, which is the classifier weight W[y, k] when the layer is followed by global average
/// pooling and a linear layer; the weights are taken as constants (exact for such heads). One forward pass
/// gives both the map and the logits.
public struct CAMInterpreter: AttackableInterpreter {
    public let name = "cam"
    /// Layer explained (default: the model's `defaultCAMLayer`).
    public var layer: String?

    public init(layer: String? = nil) { self.layer = layer }

    public var lossReduction: MapLossReduction { .mean }

    public func gridSize(height: Int, width: Int, model: any Classifier) throws -> (Int, Int) {
        try LayerMaps.grid(model, layer: layer ?? model.defaultCAMLayer, height: height, width: width)
    }

    public func attackTerms(_ model: any Classifier, _ x: Tensor, classes: [Int]) throws -> (map: Tensor, logits: Tensor) {
        try InterpreterSupport.check(model, x, classes: classes)
        let (a, w, logits) = try LayerMaps.evidence(model, x, layer: layer ?? model.defaultCAMLayer, classes: classes, average: false)
        return (try MapNormalization.minMax((a * w).sum(axes: [1]), floor: 1e-8), logits)
    }

    public func map(_ model: any Classifier, _ x: Tensor, classes: [Int]) throws -> Tensor {
        try attackTerms(model, x.detached(), classes: classes).map.detached()
    }
}

/// Grad-CAM (Selvaraju et al. 2017) on the native grid: `ReLU(Σ_k w_k A_k)` with w_k = mean_ij ∂z_y/∂A_kij
/// (constants, as for CAM), then min-max per image with pytorch-grad-cam's floor 1e-7. Not in the ADV²/AdvEdge
/// papers; it is attacked with CAM's schedule.
public struct GradCAMInterpreter: AttackableInterpreter {
    public let name = "gradcam"
    public var layer: String?

    public init(layer: String? = nil) { self.layer = layer }

    public var lossReduction: MapLossReduction { .mean }

    public func gridSize(height: Int, width: Int, model: any Classifier) throws -> (Int, Int) {
        try LayerMaps.grid(model, layer: layer ?? model.defaultCAMLayer, height: height, width: width)
    }

    public func attackTerms(_ model: any Classifier, _ x: Tensor, classes: [Int]) throws -> (map: Tensor, logits: Tensor) {
        try InterpreterSupport.check(model, x, classes: classes)
        let (a, w, logits) = try LayerMaps.evidence(model, x, layer: layer ?? model.defaultCAMLayer, classes: classes, average: true)
        return (try MapNormalization.minMax((a * w).sum(axes: [1]).relu(), floor: 1e-7), logits)
    }

    public func map(_ model: any Classifier, _ x: Tensor, classes: [Int]) throws -> Tensor {
        try attackTerms(model, x.detached(), classes: classes).map.detached()
    }
}

/// Activations and class weights at a layer, for the CAM interpreters.
enum LayerMaps {
    /// The layer's output grid for an input size.
    static func grid(_ model: any Classifier, layer: String, height: Int, width: Int) throws -> (Int, Int) {
        let probe = Tensor(repeating: 0.5, shape: [1, model.inputChannels, height, width])
        let a = try withoutGradient { try model.run(probe, capturing: [layer]).layer(layer) }
        guard a.rank == 4 else { throw AttackError.badParameter("layer \(layer) is not a feature map (shape \(a.shape))") }
        return (a.shape[2], a.shape[3])
    }

    /// (A [N, K, h, w] differentiable in x, weights [N, K, 1, 1] constant, logits): weights are Σ_ij (or mean_ij)
    /// of ∂z_c/∂A for each image's class.
    static func evidence(_ model: any Classifier, _ x: Tensor, layer: String, classes: [Int],
                         average: Bool) throws -> (Tensor, Tensor, Tensor) {
        let result = try model.run(x, capturing: [layer])
        let a = try result.layer(layer)
        guard a.rank == 4 else { throw AttackError.badParameter("layer \(layer) is not a feature map (shape \(a.shape))") }
        let score = try result.logits.picking(classes).sum()
        let g = try gradient(of: score, wrt: [a])[0]
        let w = average ? try g.mean(axes: [2, 3], keepDims: true) : try g.sum(axes: [2, 3], keepDims: true)
        return (a, w.detached(), result.logits)
    }
}
