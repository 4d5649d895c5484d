import GlimpseCore
import GlimpseModels

/// Running CAM methods on a model: capture the layer, differentiate the target with respect to it (the backward
/// pass walks only the network after the layer), and post-process like pytorch-grad-cam.
public enum CAM {
    /// Every CAM method by name.
    public static let methods: [any CAMMethod] = [
        ClassActivationMapping(), GradCAM(), GradCAMPlusPlus(), XGradCAM(), HiResCAM(), LayerCAM(), EigenCAM(), ScoreCAM(),
        ScoreCAM(definition: .original), AblationCAM(), AbsCAM(), ReciproCAM(), FDCAM(), ShapCAM(),
    ]

    /// The CAM method called `name`.
    public static func method(named name: String) throws -> any CAMMethod {
        guard let m = methods.first(where: { $0.name == name }) else {
            throw SaliencyError.unknownMethod(name, known: methods.map(\.name))
        }
        return m
    }

    /// Activations and gradients at `layer` for one image x [1, C, H, W] in [0, 1] (one forward pass and one
    /// backward pass through the layers after `layer`, also for gradient-free methods).
    /// Throws `ModelError.unknownLayer` for a layer the model does not have.
    public static func evidence(_ model: any Classifier, _ x: Tensor, layer: String, target: SaliencyTarget) throws -> LayerEvidence {
        guard x.rank == 4, x.shape[0] == 1 else {
            throw SaliencyError.badOption("CAM methods take one image [1, C, H, W], found \(x.shape)")
        }
        let input = x.detached()
        let result = try model.run(input, capturing: target.layers.union([layer]))
        let a = try result.layer(layer)
        guard a.rank == 4 else { throw SaliencyError.badOption("layer \(layer) is not a feature map (shape \(a.shape))") }
        let g = try gradient(of: target.score(result), wrt: [a])[0]
        let shape = Array(a.shape.dropFirst())
        return LayerEvidence(activations: try a.detached().reshaped(shape), gradients: try g.reshaped(shape),
                             model: model, input: input, target: target, layer: layer)
    }

    /// pytorch-grad-cam's post-processing: ReLU, min-max (1e-7), bilinear resize (half-pixel centres) to
    /// `height`×`width`, ReLU, min-max again. Input [h, w], output [height, width] in [0, 1].
    public static func normalizedMap(_ raw: Tensor, height: Int, width: Int) throws -> Tensor {
        try withoutGradient {
            let scaled = minMax(raw.relu())
            let resized = try scaled.reshaped([1, 1] + raw.shape).resizedBilinear(height: height, width: width)
            return try minMax(resized.relu()).reshaped([height, width])
        }
    }

    /// The raw map [h, w] and the normalised input-resolution map [H, W] of `method` at `layer`.
    public static func map(_ method: any CAMMethod, model: any Classifier, _ x: Tensor, layer: String,
                           target: SaliencyTarget) throws -> (raw: Tensor, map: Tensor) {
        let raw = try method.rawMap(evidence(model, x, layer: layer, target: target))
        return (raw, try normalizedMap(raw, height: x.shape[2], width: x.shape[3]))
    }

    /// (m − min) / (1e-7 + max(m − min)).
    private static func minMax(_ m: Tensor) -> Tensor {
        let v = m.scalars
        let lo = v.min() ?? 0
        return (m - lo) * (1 / (1e-7 + ((v.max() ?? 0) - lo)))
    }
}
