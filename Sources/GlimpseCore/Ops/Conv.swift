/// An activation that `conv2d` can apply to its output in the same pass.
public enum FusedActivation: Sendable, Equatable {
    case none, relu, relu6

    /// The clamp above which the activation passes no gradient (infinity for ReLU and none).
    var upper: Float { self == .relu6 ? 6 : .infinity }
}

extension Tensor {
    /// 2-D convolution (cross-correlation, as PyTorch) of x [N, Cin, H, W] with filter [Cout, Cin/groups, kH, kW],
    /// plus an optional bias [Cout], then an optional activation.
    ///
    /// Bias and activation run inside the convolution's pass over its output. The activation's gradient follows the
    /// pass's `ActivationGradient`; rules that need the activation's input (redirected, smooth) record it as a
    /// separate operation.
    public static func conv2d(_ x: Tensor, filter w: Tensor, bias: Tensor? = nil, options: Conv2DOptions = .init(),
                              activation: FusedActivation = .none) throws -> Tensor {
        let g = try ConvGeometry(input: x.shape, filter: w.shape, options: options)
        if let bias { try bias.checkShape([g.cout], "conv2d bias") }
        let recording = GradContext.current.recording && [x, w, bias].contains { $0?.node != nil }
        if !recording {
            return Tensor(shape: [g.n, g.cout, g.ho, g.wo]) { out, _ in
                let epilogue = ConvKernels.Epilogue(bias: bias.map { UnsafePointer($0.storage.pointer) }, activation: activation)
                ConvKernels.forward(x.storage.pointer, w.storage.pointer, out, g, epilogue: epilogue, packed: packedWeights(w, g))
            }
        }
        let rule = GradContext.current.activationGradient
        switch (activation, rule) {
        case (.none, _): return try convolved(x, w, bias, g, options, activation: .none)
        case (_, .exact), (_, .guided), (_, .deconvnet):
            // These rules need only 1[0 < x < upper], which the activation's output gives as well: one pass.
            return try convolved(x, w, bias, g, options, activation: activation, rule: rule)
        case (.relu, _): return try convolved(x, w, bias, g, options, activation: .none).relu()
        case (.relu6, _): return try convolved(x, w, bias, g, options, activation: .none).relu6()
        }
    }

    /// The recorded convolution, bias and activation applied in the same pass; its pullback takes the output
    /// gradient through the activation (by `rule`, from the output's values), then gives input, filter and bias
    /// gradients.
    private static func convolved(_ x: Tensor, _ w: Tensor, _ bias: Tensor?, _ g: ConvGeometry, _ options: Conv2DOptions,
                                  activation: FusedActivation, rule: ActivationGradient = .exact) throws -> Tensor {
        // When only the input gradient will be wanted, the activation's mask is applied inside the kernel, a plane or
        // a column tile at a time; a 1×1 convolution's forward records that mask as bits for it.
        let masksInKernel = (g.isDepthwise || (g.isPointwise && g.o.groups == 1)) && activation != .none
            && (rule == .exact || rule == .guided) && x.node != nil && w.node == nil && bias?.node == nil
        let bits = masksInKernel && ConvKernels.recordsActivationBits(g)
            ? ActivationBits(rows: g.n * g.cout, rowLength: g.spatialOut) : nil
        let r = Tensor(shape: [g.n, g.cout, g.ho, g.wo]) { out, _ in
            let epilogue = ConvKernels.Epilogue(bias: bias.map { UnsafePointer($0.storage.pointer) }, activation: activation, bits: bits?.rows)
            ConvKernels.forward(x.storage.pointer, w.storage.pointer, out, g, epilogue: epilogue, packed: packedWeights(w, g))
        }
        let b = bias ?? Tensor(zeros: [g.cout])
        let output = r.detached()
        return recorded(r, inputs: [x, w, b]) { outGrad in
            if masksInKernel, !GradContext.current.recording {
                let mask = ActivationMask(activation: output.storage.pointer, upper: activation.upper,
                                          positiveOnly: rule == .guided, bits: bits?.rows)
                return withExtendedLifetime((output, bits)) {
                    [maskedInputGradient(outGrad, filter: w, geometry: g, inputShape: x.shape, mask: mask), nil, nil]
                }
            }
            let grad = activation == .none ? outGrad
                : try activationPullback(x: output, g: outGrad, upper: activation == .relu6 ? 6 : nil, rule: rule)
            return [x.node == nil ? nil : try conv2dBackwardInput(grad, filter: w, inputShape: x.shape, options: options),
                    w.node == nil ? nil : try conv2dBackwardFilter(x, grad, filterShape: w.shape, options: options),
                    b.node == nil ? nil : try grad.sum(axes: [0, 2, 3])]
        }
    }

    /// The packed GEMM copies of a frozen (untracked) 1×1 filter, when OpenBLAS's panel routines are available.
    private static func packedWeights(_ w: Tensor, _ g: ConvGeometry) -> PackedWeights? {
        guard g.isPointwise, g.o.groups == 1, w.node == nil, let panels = OpenBLASPanels.shared else { return nil }
        return PackedWeights(weights: w.storage.pointer, cache: w.storage.packedWeights, panels: panels)
    }

    /// Gradient of `conv2d` with respect to its input (a transposed convolution of `grad` by the filter).
    public static func conv2dBackwardInput(_ grad: Tensor, filter w: Tensor, inputShape: [Int], options: Conv2DOptions) throws -> Tensor {
        let g = try ConvGeometry(input: inputShape, filter: w.shape, options: options)
        try grad.checkShape([g.n, g.cout, g.ho, g.wo], "conv2d output gradient")
        let r = Tensor(shape: inputShape) { dx, _ in
            ConvKernels.backwardInput(grad.storage.pointer, w.storage.pointer, dx, g, packed: packedWeights(w, g))
        }
        return recorded(r, inputs: [grad, w]) { u in
            [grad.node == nil ? nil : try conv2d(u, filter: w, options: options),
             w.node == nil ? nil : try conv2dBackwardFilter(u, grad, filterShape: w.shape, options: options)]
        }
    }

    /// The input gradient of a depthwise or 1×1 convolution whose output gradient `mask` filters first (not recorded).
    private static func maskedInputGradient(_ grad: Tensor, filter w: Tensor, geometry g: ConvGeometry, inputShape: [Int],
                                            mask: ActivationMask) -> Tensor {
        Tensor(shape: inputShape) { dx, _ in
            if g.isDepthwise {
                ConvKernels.depthwiseBackwardInput(grad.storage.pointer, w.storage.pointer, dx, g, mask: mask)
            } else {
                ConvKernels.pointwiseBackwardInput(grad.storage.pointer, w.storage.pointer, dx, g, mask: mask,
                                                   packed: packedWeights(w, g))
            }
        }
    }

    /// Gradient of `conv2d` with respect to its filter, summed over the batch.
    public static func conv2dBackwardFilter(_ x: Tensor, _ grad: Tensor, filterShape: [Int], options: Conv2DOptions) throws -> Tensor {
        let g = try ConvGeometry(input: x.shape, filter: filterShape, options: options)
        try grad.checkShape([g.n, g.cout, g.ho, g.wo], "conv2d output gradient")
        let r = Tensor(shape: filterShape) { dw, _ in
            ConvKernels.backwardFilter(x.storage.pointer, grad.storage.pointer, dw, g)
        }
        return recorded(r, inputs: [x, grad]) { v in
            [x.node == nil ? nil : try conv2dBackwardInput(grad, filter: v, inputShape: x.shape, options: options),
             grad.node == nil ? nil : try conv2d(x, filter: v, options: options)]
        }
    }
}
