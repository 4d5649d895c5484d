/// Stride, padding, dilation and groups of a 2-D convolution. Padding is explicit per side so that
/// TensorFlow-"same" padding (asymmetric for stride 2) can be expressed.
public struct Conv2DOptions: Sendable, Equatable {
    public var strideY: Int, strideX: Int
    public var padTop: Int, padBottom: Int, padLeft: Int, padRight: Int
    public var dilationY: Int, dilationX: Int
    public var groups: Int

    public init(stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) {
        self.init(strideY: stride, strideX: stride, padTop: padding, padBottom: padding, padLeft: padding,
                  padRight: padding, dilationY: dilation, dilationX: dilation, groups: groups)
    }

    public init(strideY: Int, strideX: Int, padTop: Int, padBottom: Int, padLeft: Int, padRight: Int,
                dilationY: Int = 1, dilationX: Int = 1, groups: Int = 1) {
        self.strideY = strideY; self.strideX = strideX
        self.padTop = padTop; self.padBottom = padBottom; self.padLeft = padLeft; self.padRight = padRight
        self.dilationY = dilationY; self.dilationX = dilationX
        self.groups = groups
    }

    /// TensorFlow "SAME" padding for a square kernel on an input of `height`×`width`:
    /// output = ceil(input / stride), extra padding on the bottom/right.
    public static func same(kernel: Int, stride: Int, height: Int, width: Int, dilation: Int = 1, groups: Int = 1) -> Conv2DOptions {
        func pads(_ size: Int) -> (Int, Int) {
            let out = (size + stride - 1) / stride
            let total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
            return (total / 2, total - total / 2)
        }
        let (t, b) = pads(height), (l, r) = pads(width)
        return Conv2DOptions(strideY: stride, strideX: stride, padTop: t, padBottom: b, padLeft: l, padRight: r,
                             dilationY: dilation, dilationX: dilation, groups: groups)
    }
}

/// All sizes of one convolution, validated.
struct ConvGeometry {
    let n, cin, h, w, cout, kh, kw, ho, wo: Int
    let o: Conv2DOptions
    var cinPerGroup: Int { cin / o.groups }
    var coutPerGroup: Int { cout / o.groups }
    var isDepthwise: Bool { o.groups == cin && cout == cin && o.groups > 1 }
    var isPointwise: Bool {
        kh == 1 && kw == 1 && o.strideY == 1 && o.strideX == 1 && o.padTop == 0 && o.padBottom == 0 && o.padLeft == 0 && o.padRight == 0
    }
    var colRows: Int { cinPerGroup * kh * kw }
    var spatialOut: Int { ho * wo }
    var flops: Int { 2 * n * cout * ho * wo * cinPerGroup * kh * kw }

    init(input: [Int], filter: [Int], options o: Conv2DOptions) throws {
        guard input.count == 4 else { throw TensorError.invalidArgument("conv2d input must be [N, C, H, W], found \(input)") }
        guard filter.count == 4 else { throw TensorError.invalidArgument("conv2d filter must be [out, in/groups, kH, kW], found \(filter)") }
        guard o.groups >= 1, o.strideY >= 1, o.strideX >= 1, o.dilationY >= 1, o.dilationX >= 1,
              min(o.padTop, o.padBottom, o.padLeft, o.padRight) >= 0 else {
            throw TensorError.invalidArgument("conv2d options out of range: \(o)")
        }
        (n, cin, h, w) = (input[0], input[1], input[2], input[3])
        (cout, kh, kw) = (filter[0], filter[2], filter[3])
        guard cin % o.groups == 0, cout % o.groups == 0, filter[1] == cin / o.groups else {
            throw TensorError.incompatibleShapes("conv2d (input channels vs filter with \(o.groups) groups)", input, filter)
        }
        let effH = (kh - 1) * o.dilationY + 1, effW = (kw - 1) * o.dilationX + 1
        let ph = h + o.padTop + o.padBottom, pw = w + o.padLeft + o.padRight
        guard ph >= effH, pw >= effW else {
            throw TensorError.incompatibleShapes("conv2d (kernel larger than padded input)", input, filter)
        }
        ho = (ph - effH) / o.strideY + 1
        wo = (pw - effW) / o.strideX + 1
        self.o = o
    }

    /// Output columns `ox` for which input column `ox·s − pad + k·d` lies inside [0, size).
    @inline(__always) static func validRange(out: Int, size: Int, stride s: Int, pad: Int, offset: Int) -> Range<Int> {
        // need 0 <= ox*s - pad + offset <= size-1
        let a = pad - offset
        let lo = a <= 0 ? 0 : (a + s - 1) / s
        let b = size - 1 + pad - offset
        if b < 0 { return 0..<0 }
        let hi = min(out - 1, b / s)
        return lo <= hi ? lo..<(hi + 1) : 0..<0
    }
}
