import Foundation

/// One recorded operation of the autodiff graph: the nodes of its differentiable inputs and the
/// pullback that maps the gradient of its output to gradients of those inputs.
///
/// Pullbacks are written with differentiable `Tensor` operations, so running them while recording
/// (`createGraph: true`) records the backward pass itself and allows double backward.
public final class GradNode: @unchecked Sendable {
    let id: UInt64
    let inputs: [GradNode]
    let pullback: ((Tensor) throws -> [Tensor?])?
    let shape: [Int]

    init(shape: [Int], inputs: [GradNode], pullback: ((Tensor) throws -> [Tensor?])?) {
        self.id = GradNode.nextID()
        self.shape = shape
        self.inputs = inputs
        self.pullback = pullback
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var counter: UInt64 = 0
    private static func nextID() -> UInt64 {
        lock.lock(); defer { lock.unlock() }
        counter += 1
        return counter
    }
}

/// Per-thread autodiff settings: whether operations are recorded, and the gradient rule of ReLU-family activations.
final class GradContext {
    var recording = true
    var activationGradient: ActivationGradient = .exact

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { raw in if let raw { Unmanaged<GradContext>.fromOpaque(raw).release() } }
        return key
    }()

    static var current: GradContext {
        if let raw = pthread_getspecific(key) {
            return Unmanaged<GradContext>.fromOpaque(raw).takeUnretainedValue()
        }
        let context = GradContext()
        pthread_setspecific(key, Unmanaged.passRetained(context).toOpaque())
        return context
    }
}

/// Runs `body` without recording operations (inference mode): no graph, no saved activations.
public func withoutGradient<R>(_ body: () throws -> R) rethrows -> R {
    let context = GradContext.current
    let saved = context.recording
    context.recording = false
    defer { context.recording = saved }
    return try body()
}

func withRecording<R>(_ on: Bool, _ body: () throws -> R) rethrows -> R {
    let context = GradContext.current
    let saved = context.recording
    context.recording = on
    defer { context.recording = saved }
    return try body()
}

extension Tensor {
    /// This tensor as a leaf of the autodiff graph: operations on the result are recorded.
    public func requiringGradient() -> Tensor {
        Tensor(shape: shape, storage: storage, node: GradNode(shape: shape, inputs: [], pullback: nil))
    }

    /// The same values, cut from the autodiff graph (gradients do not flow through it).
    public func detached() -> Tensor {
        Tensor(shape: shape, storage: storage, node: nil)
    }

    /// True when operations on this tensor are being recorded.
    public var isTracked: Bool { node != nil }

    /// Wraps a freshly computed result: records a node when recording is on and an input is tracked.
    /// `pullback` receives the output gradient and returns one gradient (or nil) per input, in order.
    @usableFromInline static func recorded(_ result: Tensor, inputs: [Tensor],
                                           pullback: @escaping (Tensor) throws -> [Tensor?]) -> Tensor {
        guard GradContext.current.recording, inputs.contains(where: { $0.node != nil }) else { return result }
        var nodes: [GradNode] = []
        var positions: [Int] = []
        for (i, t) in inputs.enumerated() {
            if let n = t.node { nodes.append(n); positions.append(i) }
        }
        let wrapped: (Tensor) throws -> [Tensor?] = { g in
            let all = try pullback(g)
            return positions.map { all[$0] }
        }
        var r = result
        r.node = GradNode(shape: result.shape, inputs: nodes, pullback: wrapped)
        return r
    }
}
