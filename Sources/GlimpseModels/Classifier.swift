import GlimpseCore
import GlimpseImage

/// An image classifier whose layers can be captured and differentiated by name.
///
/// Inputs are images in [0, 1], [N, C, H, W]; the model's own normalisation happens inside `forward`,
/// so gradients are with respect to the [0, 1] image.
public protocol Classifier: AnyObject {
    /// Short model name ("efficientnet-lite0").
    var name: String { get }
    /// Side of the square input the model was trained on.
    var inputSize: Int { get }
    /// Number of input channels (3 for RGB, 1 for grey).
    var inputChannels: Int { get }
    /// Number of classes.
    var classCount: Int { get }
    /// Smallest input side the network accepts.
    var minimumInputSize: Int { get }
    /// Every addressable layer path, in execution order.
    var layerPaths: [String] { get }
    /// The layer usually used for CAM methods (the last convolutional feature map).
    var defaultCAMLayer: String { get }
    /// The model's input normalisation, applied inside `forward`: [0, 1] image → network input.
    func normalizedInput(_ x: Tensor) throws -> Tensor
    /// The inverse of `normalizedInput`.
    func imageFromNormalized(_ x: Tensor) throws -> Tensor
    /// Runs the network on x [N, C, H, W] in [0, 1], capturing the layers `pass` asks for; returns logits.
    func forward(_ x: Tensor, pass: ForwardPass) throws -> Tensor
    /// Layers whose output `forward(from:_:pass:)` can start from (empty when the model cannot resume).
    var resumableLayers: [String] { get }
    /// Runs the network after `layer` on `activation`, that layer's output [N, ...]; returns logits.
    /// Use `resume(from:_:capturing:)`, which validates the request.
    func forward(from layer: String, _ activation: Tensor, pass: ForwardPass) throws -> Tensor
    /// True when the logits are an affine function of `layer`'s output (only pooling and linear layers follow):
    /// then a logit's change under any change of that output is its gradient times the change, exactly.
    func tailIsAffine(from layer: String) -> Bool
    /// Parameters owned directly by each layer path.
    func parameterCount(of path: String) -> Int
    /// Human-readable kind of each layer path.
    func kind(of path: String) -> String
}

extension Classifier {
    /// Runs the network, validating the input and the requested layer names.
    public func run(_ x: Tensor, capturing layers: Set<String> = []) throws -> ForwardResult {
        try run(x, capturing: layers, stoppingEarly: false)
    }

    /// Runs the network like `run(_:capturing:)`; with `stoppingEarly` (and at least one layer requested) the pass
    /// ends after the deepest requested layer, so the result has the layers but no logits (`stoppedEarly`).
    /// Models built from the shared conv/linear layers stop there; others simply run to the end.
    public func run(_ x: Tensor, capturing layers: Set<String>, stoppingEarly: Bool) throws -> ForwardResult {
        try validate(x)
        let known = Set(layerPaths)
        if let unknown = layers.first(where: { !known.contains($0) }) {
            throw ModelError.unknownLayer(unknown, known: layerPaths)
        }
        let pass = ForwardPass(capturing: layers)
        pass.stopsAfterLastCapture = stoppingEarly
        do {
            return ForwardResult(logits: try forward(x, pass: pass), layers: pass.captured)
        } catch is ForwardPass.EarlyExit {
            return ForwardResult(logits: Tensor(zeros: [0]), layers: pass.captured, stoppedEarly: true)
        }
    }

    /// Logits without recording anything (inference).
    public func logits(_ x: Tensor) throws -> Tensor {
        try withoutGradient { try run(x).logits }
    }

    /// Throws a clear error for inputs the model cannot take.
    public func validate(_ x: Tensor) throws {
        guard x.rank == 4, x.shape[1] == inputChannels, x.shape[0] >= 1 else {
            throw ModelError.badInput("\(name) expects images [N, \(inputChannels), H, W], found \(x.shape)")
        }
        guard x.shape[2] >= minimumInputSize, x.shape[3] >= minimumInputSize else {
            throw ModelError.badInput("\(name) needs images of at least \(minimumInputSize)×\(minimumInputSize) pixels, found \(x.shape[2])×\(x.shape[3])")
        }
        try x.checkFinite("the input image")
    }

    /// Centre square crop, bilinear resize (half-pixel, no antialiasing) to `inputSize`, values in [0, 1]:
    /// the reference preprocessing. Returns [1, C, S, S].
    public func preprocess(_ image: RGBImage) throws -> Tensor {
        let square = image.centerSquareCrop()
        let planes = try Tensor(square.planarFloats(), shape: [1, 3, square.height, square.width])
        let rgb = try planes.resizedBilinear(height: inputSize, width: inputSize)
        guard inputChannels == 1 else { return rgb }
        return try rgb.mean(axes: [1], keepDims: true)
    }

    /// Description of every layer with its output shape for one `inputSize` image.
    public func describeLayers() throws -> [LayerInfo] {
        let x = Tensor(repeating: 0.5, shape: [1, inputChannels, inputSize, inputSize])
        let result = try withoutGradient { try run(x, capturing: Set(layerPaths)) }
        return layerPaths.map { path in
            LayerInfo(path: path, kind: kind(of: path), outputShape: result.layers[path]?.shape ?? [],
                      parameters: parameterCount(of: path))
        }
    }

    /// Total number of parameters.
    public var totalParameters: Int { layerPaths.reduce(0) { $0 + parameterCount(of: $1) } }
}
