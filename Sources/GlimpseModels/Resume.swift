import GlimpseCore

/// Running only the part of a network after a layer ("the tail"), from that layer's output.
///
/// Perturbation methods that change a layer's activations (Ablation-CAM, Recipro-CAM, FD-CAM, Shap-CAM) need only
/// the tail; for EfficientNet-Lite0's `_head_act` it is global average pooling and one linear layer.
extension Classifier {
    /// Runs the network after `layer` on `activation` (that layer's output for a batch [N, ...]), capturing the
    /// later `layers` the pass asks for. Throws `ModelError.cannotResume` when the model cannot resume there,
    /// `ModelError.unknownLayer` for captured layers it does not have, and `ModelError.badInput` for a
    /// non-finite activation.
    public func resume(from layer: String, _ activation: Tensor, capturing layers: Set<String> = []) throws -> ForwardResult {
        guard resumableLayers.contains(layer) else {
            throw ModelError.cannotResume(model: name, layer: layer, supported: resumableLayers)
        }
        let known = Set(layerPaths)
        if let unknown = layers.first(where: { !known.contains($0) }) {
            throw ModelError.unknownLayer(unknown, known: layerPaths)
        }
        guard activation.isFinite else {
            throw ModelError.badInput("the activation of \(layer) has non-finite values")
        }
        let pass = ForwardPass(capturing: layers)
        let logits = try forward(from: layer, activation, pass: pass)
        return ForwardResult(logits: logits, layers: pass.captured)
    }

    /// True when `resume(from: layer, …)` is available.
    public func canResume(from layer: String) -> Bool { resumableLayers.contains(layer) }
}

/// Default for models without a tail implementation: nothing is resumable, no tail is known to be affine.
extension Classifier {
    public var resumableLayers: [String] { [] }

    public func tailIsAffine(from layer: String) -> Bool { false }

    public func forward(from layer: String, _ activation: Tensor, pass: ForwardPass) throws -> Tensor {
        throw ModelError.cannotResume(model: name, layer: layer, supported: resumableLayers)
    }
}
