import GlimpseCore
import GlimpseModels
import GlimpseSaliency

/// A detector whose score can be differentiated with respect to the image, so that an adaptive attack can also
/// minimise it (`AdaptivePGD`).
public protocol DifferentiableDetector: AdversarialDetector {
    /// The classifier the detector guards.
    var model: any Classifier { get }
    /// The scores [N] of x [N, C, H, W] in [0, 1], recorded in the autodiff graph when x is tracked.
    func scoreTensor(_ x: Tensor) throws -> Tensor
}

extension FeatureSqueezingDetector: DifferentiableDetector {}

extension InterpreterEnsembleDetector: DifferentiableDetector {
    /// Interpreters `scoreTensor` can differentiate: vanilla gradient, Grad-CAM and Layer-CAM.
    public static let differentiableInterpreters: [SaliencyMethod] = [.vanilla, .gradcam, .layercam]

    /// The ensemble score as a differentiable tensor [N], for adaptive attacks. The vanilla-gradient map is taken
    /// with `createGraph` and, when `smoothTau` is given, ReLU's smooth surrogate in the backward pass (as ADV² does,
    /// since the exact map of a ReLU network is piecewise constant in x); the CAM weights are constants, the maps
    /// differentiable through the layer's activations. With `smoothTau: nil` the values equal `scores(x)`.
    public func scoreTensor(_ x: Tensor, smoothTau: Float?) throws -> Tensor {
        guard x.rank == 4 else { throw DefenseError.badInput("detectors take images [N, C, H, W], got \(x.shape)") }
        if let unsupported = interpreters.first(where: { !Self.differentiableInterpreters.contains($0) }) {
            throw DefenseError.invalidOption("the interpreter ensemble's score is differentiable for \(Self.differentiableInterpreters.map(\.rawValue).joined(separator: ", ")), not \(unsupported.rawValue)")
        }
        return try differentiableScore(x, smoothTau: smoothTau)
    }

    /// `scoreTensor(x, smoothTau: 1e-4)`.
    public func scoreTensor(_ x: Tensor) throws -> Tensor { try scoreTensor(x, smoothTau: 1e-4) }

    private func differentiableScore(_ x: Tensor, smoothTau: Float?) throws -> Tensor {
        let (n, h, w) = (x.shape[0], x.shape[2], x.shape[3])
        let layer = options.layer ?? model.defaultCAMLayer
        let input = x.isTracked ? x : x.detached().requiringGradient()
        let logits = try model.logits(x.detached()).scalars, k = model.classCount
        // The predicted class, chosen as `scores` chooses it.
        let classes = (0..<n).map { i in
            let row = Array(logits[(i * k)..<((i + 1) * k)])
            return row.indices.max { row[$0] < row[$1] } ?? 0
        }
        let rule: ActivationGradient = smoothTau.map { .smooth(tau: $0) } ?? .exact
        let (inputGradient, a, layerGradient) = try withActivationGradient(rule) {
            let result = try model.run(input, capturing: [layer])
            let a = try result.layer(layer)
            guard a.rank == 4 else { throw DefenseError.invalidOption("layer \(layer) is not a feature map (shape \(a.shape))") }
            let g = try gradient(of: result.logits.picking(classes).sum(), wrt: [input, a], createGraph: true)
            return (g[0], a, g[1].detached())
        }
        let maps = try interpreters.map { method -> Tensor in
            let map: Tensor
            switch method {
            case .vanilla: map = try inputGradient.abs().max(axes: [1])
            case .gradcam: map = try camMap(a * layerGradient.mean(axes: [2, 3], keepDims: true), height: h, width: w)
            default: map = try camMap(a * layerGradient.relu(), height: h, width: w)
            }
            return try Self.unitRange(map, floor: 0)
        }
        var total = try Tensor(zeros: [n]), pairs: Float = 0
        for i in 0..<maps.count {
            for j in (i + 1)..<maps.count {
                total = try total + (maps[i] - maps[j]).abs().mean(axes: [1, 2])
                pairs += 1
            }
        }
        return try total / pairs
    }

    /// pytorch-grad-cam's post-processing of Σ_k (weighted A_k) [N, C, h, w] as `CAM.normalizedMap` does it: ReLU,
    /// min-max (1e-7), bilinear resize to height×width, ReLU, min-max (1e-7); [N, height, width].
    private func camMap(_ weighted: Tensor, height: Int, width: Int) throws -> Tensor {
        let raw = try weighted.sum(axes: [1]).relu()
        let scaled = try Self.unitRange(raw, floor: 1e-7)
        let resized = try scaled.reshaped([raw.shape[0], 1, raw.shape[1], raw.shape[2]]).resizedBilinear(height: height, width: width)
        return try Self.unitRange(resized.reshaped([raw.shape[0], height, width]).relu(), floor: 1e-7)
    }

    /// Per image of [N, h, w]: (v − min) / (floor + max − min); with floor 0 a constant map becomes zeros, as
    /// `normalised` does.
    static func unitRange(_ v: Tensor, floor: Float) throws -> Tensor {
        let low = -(try (-v).max(axes: [1, 2], keepDims: true))
        let shifted = try v - low
        let range = try shifted.max(axes: [1, 2], keepDims: true) + floor
        let safe = try range + (range.detached().scalars.map { $0 > 0 ? 0 : 1 }).tensor(like: range)
        return try shifted / safe
    }
}

private extension Array where Element == Float {
    func tensor(like t: Tensor) throws -> Tensor { try Tensor(self, shape: t.shape) }
}
