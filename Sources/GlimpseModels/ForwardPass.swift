import GlimpseCore

/// Bookkeeping of one forward pass: which named layers to capture and what was captured.
///
/// A captured layer's tensor is made a tracked node of the autodiff graph (if it is not already), so that
/// `gradient(of:wrt:)` can differentiate any later quantity with respect to it, walking back only to it.
public final class ForwardPass {
    /// Layer paths to capture.
    public let requested: Set<String>
    /// Captured outputs by layer path.
    public private(set) var captured: [String: Tensor] = [:]

    /// Called with (conv path, input, filter, options) before each convolution runs; used by benchmarks
    /// to collect a model's convolution shapes.
    public var onConvolution: ((String, Tensor, Tensor, Conv2DOptions) -> Void)?

    /// When true, the pass ends (`EarlyExit` is thrown from the next layer) as soon as every requested layer
    /// has been captured: layers after the deepest requested one are neither computed nor recorded.
    public var stopsAfterLastCapture = false

    /// Parameters that replace the model's own in this pass (training and fine-tuning); nil: the model's weights.
    public var parameters: ParameterOverride?

    /// Thrown by a layer that would run after every requested layer was captured (see `stopsAfterLastCapture`).
    struct EarlyExit: Error {}

    public init(capturing layers: Set<String> = []) {
        requested = layers
    }

    /// Throws `EarlyExit` when the pass may stop here; layers call it before they compute anything.
    func checkContinue() throws {
        if stopsAfterLastCapture, !requested.isEmpty, captured.count == requested.count { throw EarlyExit() }
    }

    /// Records `value` under `name` if requested; returns the tensor the rest of the network must use.
    public func tap(_ name: String, _ value: Tensor) -> Tensor {
        guard requested.contains(name) else { return value }
        let tracked = value.isTracked ? value : value.requiringGradient()
        captured[name] = tracked
        return tracked
    }

    /// True when the unfused (conv, then batch norm) path of a conv named `conv` must run so that its raw output can be captured.
    func needsRawConv(_ conv: String) -> Bool { requested.contains(conv) }
}

/// Result of running a classifier.
public struct ForwardResult {
    /// Logits [N, classes].
    public let logits: Tensor
    /// Captured layer outputs by path.
    public let layers: [String: Tensor]
    /// True when the pass stopped after the deepest captured layer; `logits` is then empty ([0]).
    public internal(set) var stoppedEarly = false

    /// The captured output of `name`; throws if it was not requested.
    public func layer(_ name: String) throws -> Tensor {
        guard let t = layers[name] else { throw ModelError.unknownLayer(name, known: Array(layers.keys).sorted()) }
        return t
    }
}

/// Description of one addressable layer.
public struct LayerInfo: Sendable, Codable, Equatable {
    /// Dotted path (the state-dict prefix where one exists).
    public let path: String
    /// Kind of layer ("Conv2d", "BatchNorm2d", "ReLU6", "MBConvBlock", ...).
    public let kind: String
    /// Output shape for one 224×224 image (batch 1).
    public var outputShape: [Int]
    /// Number of parameters owned directly by this layer.
    public let parameters: Int
}
