import GlimpseCore
import GlimpseFormats

/// A named parameter table built from a state dict, with shape-checked lookup.
struct Weights {
    let dict: StateDict

    func tensor(_ key: String, _ shape: [Int]) throws -> Tensor {
        let stored = try dict.tensor(key, shape: shape)
        return try Tensor(stored.values, shape: shape)
    }
}

/// Batch-norm parameters of one layer.
struct BatchNorm {
    let path: String
    let weight: Tensor, bias: Tensor, mean: Tensor, variance: Tensor
    let eps: Float

    init(_ w: Weights, _ path: String, channels c: Int, eps: Float) throws {
        self.path = path
        weight = try w.tensor("\(path).weight", [c])
        bias = try w.tensor("\(path).bias", [c])
        mean = try w.tensor("\(path).running_mean", [c])
        variance = try w.tensor("\(path).running_var", [c])
        self.eps = eps
    }

    /// Per-channel scale and shift equivalent to this layer in inference.
    var scaleShift: (scale: [Float], shift: [Float]) {
        let g = weight.scalars, b = bias.scalars, m = mean.scalars, v = variance.scalars
        var scale = [Float](repeating: 0, count: g.count), shift = scale
        for i in 0..<g.count {
            scale[i] = g[i] / (v[i] + eps).squareRoot()
            shift[i] = b[i] - m[i] * scale[i]
        }
        return (scale, shift)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.batchNormInference(mean: mean, variance: variance, weight: weight, bias: bias, eps: eps)
    }
}

/// A convolution followed by batch norm, folded into one convolution with bias for inference.
/// The unfolded path runs only when the raw convolution output is captured.
struct ConvBN {
    let convPath: String
    let bn: BatchNorm
    let filter: Tensor, options: Conv2DOptions
    /// When true, TensorFlow-"same" pads are computed from each input's size (as TF and PyTorch's dynamic-padding
    /// EfficientNet do) instead of `options`' fixed pads; the kernel is square with `filter`'s side.
    var padsSamePerInput = false
    let foldedFilter: Tensor, foldedBias: Tensor
    let convBias: Tensor?

    init(_ w: Weights, conv: String, bn: String, inChannels: Int, outChannels: Int, kernel: Int,
         options: Conv2DOptions, eps: Float, convBias: Bool = false) throws {
        convPath = conv
        let perGroup = inChannels / options.groups
        filter = try w.tensor("\(conv).weight", [outChannels, perGroup, kernel, kernel])
        self.convBias = convBias ? try w.tensor("\(conv).bias", [outChannels]) : nil
        self.options = options
        self.bn = try BatchNorm(w, bn, channels: outChannels, eps: eps)
        let (scale, shift) = self.bn.scaleShift
        let per = perGroup * kernel * kernel
        let raw = filter.scalars, rawBias = self.convBias?.scalars
        foldedFilter = try Tensor((0..<raw.count).map { raw[$0] * scale[$0 / per] }, shape: filter.shape)
        foldedBias = try Tensor((0..<outChannels).map { shift[$0] + (rawBias?[$0] ?? 0) * scale[$0] }, shape: [outChannels])
    }

    var parameterCount: Int { filter.count + (convBias?.count ?? 0) }

    /// Convolution + batch norm (+ activation), captured under the conv, batch-norm and activation paths.
    /// Intermediate outputs are only materialised when they are captured; otherwise one fused convolution runs.
    /// With the pass's parameter override holding this convolution's weight, it runs unfolded from the override.
    func callAsFunction(_ x: Tensor, _ pass: ForwardPass, activation: FusedActivation = .none,
                        activationPath: String? = nil) throws -> Tensor {
        try pass.checkContinue()
        let options = padsSamePerInput && x.rank == 4
            ? Conv2DOptions.same(kernel: filter.shape[3], stride: self.options.strideY, height: x.shape[2], width: x.shape[3],
                                 groups: self.options.groups)
            : self.options
        pass.onConvolution?(convPath, x, foldedFilter, options)
        if let p = pass.parameters, let overridden = p.tensor("\(convPath).weight") {
            let bias = convBias == nil ? nil : try p.required("\(convPath).bias")
            let raw = pass.tap(convPath, try Tensor.conv2d(x, filter: overridden, bias: bias, options: options))
            return try activate(pass.tap(bn.path, try p.batchNorm(raw, path: bn.path, eps: bn.eps)), activation, activationPath, pass)
        }
        if pass.needsRawConv(convPath) {
            let raw = pass.tap(convPath, try Tensor.conv2d(x, filter: filter, bias: convBias, options: options))
            return try activate(pass.tap(bn.path, try bn(raw)), activation, activationPath, pass)
        }
        if pass.requested.contains(bn.path) {
            let normalised = pass.tap(bn.path, try Tensor.conv2d(x, filter: foldedFilter, bias: foldedBias, options: options))
            return try activate(normalised, activation, activationPath, pass)
        }
        let y = try Tensor.conv2d(x, filter: foldedFilter, bias: foldedBias, options: options, activation: activation)
        return activationPath.map { pass.tap($0, y) } ?? y
    }

    private func activate(_ x: Tensor, _ activation: FusedActivation, _ path: String?, _ pass: ForwardPass) throws -> Tensor {
        let y: Tensor
        switch activation {
        case .none: y = x
        case .relu: y = x.relu()
        case .relu6: y = x.relu6()
        }
        return path.map { pass.tap($0, y) } ?? y
    }
}

/// A fully connected layer (its weight and bias replaced by the pass's parameter override when it has them).
struct Linear {
    let path: String
    let weight: Tensor, bias: Tensor

    init(_ w: Weights, _ path: String, inFeatures: Int, outFeatures: Int) throws {
        self.path = path
        weight = try w.tensor("\(path).weight", [outFeatures, inFeatures])
        bias = try w.tensor("\(path).bias", [outFeatures])
    }

    func callAsFunction(_ x: Tensor, _ pass: ForwardPass) throws -> Tensor {
        try pass.checkContinue()
        if let p = pass.parameters, let overridden = p.tensor("\(path).weight") {
            return pass.tap(path, try Tensor.linear(x, weight: overridden, bias: p.required("\(path).bias")))
        }
        return pass.tap(path, try Tensor.linear(x, weight: weight, bias: bias))
    }
}
