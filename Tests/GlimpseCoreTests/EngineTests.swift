import Dispatch
import Foundation
import GlimpseCore
import Synchronization
import Testing

/// Forward values against direct reference computations, autodiff behaviour and errors.
@Suite struct EngineTests {
    /// Direct convolution in Double, the reference for the im2col/GEMM and depthwise kernels.
    func naiveConv(_ x: Tensor, _ w: Tensor, _ o: Conv2DOptions) -> [Double] {
        let (n, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, cpg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let ho = (h + o.padTop + o.padBottom - (kh - 1) * o.dilationY - 1) / o.strideY + 1
        let wo = (wd + o.padLeft + o.padRight - (kw - 1) * o.dilationX - 1) / o.strideX + 1
        let opg = cout / o.groups
        var out = [Double](repeating: 0, count: n * cout * ho * wo)
        for b in 0..<n { for co in 0..<cout { for oy in 0..<ho { for ox in 0..<wo {
            var acc = 0.0
            let grp = co / opg
            for ci in 0..<cpg { for ky in 0..<kh { for kx in 0..<kw {
                let iy = oy * o.strideY - o.padTop + ky * o.dilationY, ix = ox * o.strideX - o.padLeft + kx * o.dilationX
                if iy < 0 || iy >= h || ix < 0 || ix >= wd { continue }
                acc += Double(x[b, grp * cpg + ci, iy, ix]) * Double(w[co, ci, ky, kx])
            } } }
            out[((b * cout + co) * ho + oy) * wo + ox] = acc
        } } } }
        _ = cin
        return out
    }

    @Test(arguments: [
        ([1, 3, 9, 9], [8, 3, 3, 3], Conv2DOptions.same(kernel: 3, stride: 2, height: 9, width: 9)),
        ([2, 4, 8, 7], [6, 2, 3, 3], Conv2DOptions(stride: 1, padding: 1, groups: 2)),
        ([1, 5, 10, 10], [5, 1, 5, 5], Conv2DOptions.same(kernel: 5, stride: 2, height: 10, width: 10, groups: 5)),
        ([3, 6, 6, 6], [6, 1, 3, 3], Conv2DOptions(stride: 1, padding: 1, groups: 6)),
        // Depthwise with 4-row blocks plus leftover rows, partial SIMD chunks, many planes sharing one scratch.
        ([2, 7, 11, 19], [7, 1, 3, 3], Conv2DOptions(stride: 1, padding: 1, groups: 7)),
        ([1, 9, 21, 23], [9, 1, 5, 5], Conv2DOptions.same(kernel: 5, stride: 2, height: 21, width: 23, groups: 9)),
        ([1, 3, 13, 12], [3, 1, 3, 3], Conv2DOptions(stride: 1, padding: 2, dilation: 2, groups: 3)),
        // The specialised 3×3 / 5×5 loops: whole-chunk stores spilling into later rows (widths 3, 7, 14), stride 2.
        ([1, 4, 3, 3], [4, 1, 5, 5], Conv2DOptions.same(kernel: 5, stride: 1, height: 3, width: 3, groups: 4)),
        ([2, 5, 14, 14], [5, 1, 3, 3], Conv2DOptions.same(kernel: 3, stride: 2, height: 14, width: 14, groups: 5)),
        ([1, 3, 7, 7], [3, 1, 3, 3], Conv2DOptions(stride: 1, padding: 1, groups: 3)),
        ([1, 2, 9, 30], [2, 1, 5, 5], Conv2DOptions.same(kernel: 5, stride: 1, height: 9, width: 30, groups: 2)),
        ([1, 2, 8, 9], [2, 1, 3, 5], Conv2DOptions(stride: 1, padding: 1, groups: 2)),
        ([1, 4, 7, 7], [4, 4, 3, 3], Conv2DOptions(stride: 1, padding: 2, dilation: 2)),
        ([2, 16, 5, 5], [32, 16, 1, 1], Conv2DOptions()),
        // The row-at-a-time depthwise loop (four chunks at once, then single chunks): a Gaussian blur's 1×61 and
        // 61×1 passes, a non-square kernel at stride 2, dilation on a wide plane.
        ([1, 3, 6, 90], [3, 1, 1, 61], Conv2DOptions(groups: 3)),
        ([1, 2, 70, 45], [2, 1, 61, 1], Conv2DOptions(groups: 2)),
        ([1, 2, 9, 75], [2, 1, 3, 7], Conv2DOptions(stride: 2, padding: 1, groups: 2)),
        ([1, 3, 13, 50], [3, 1, 3, 3], Conv2DOptions(stride: 1, padding: 2, dilation: 2, groups: 3)),
    ])
    func convMatchesDirectLoop(inputShape: [Int], filterShape: [Int], options: Conv2DOptions) throws {
        var rng = SeededRNG(seed: 21)
        let x = Tensor.normal(inputShape, rng: &rng), w = Tensor.normal(filterShape, rng: &rng)
        let y = try Tensor.conv2d(x, filter: w, options: options)
        let reference = naiveConv(x, w, options)
        #expect(y.count == reference.count)
        let err = zip(y.scalars, reference).reduce(0.0) { max($0, abs(Double($1.0) - $1.1)) }
        #expect(err < 1e-4)
    }

    /// 360 seeded depthwise geometries (3×3 and 5×5, strides 1 and 2, every pad split from 0 to 2 per side, sides 1
    /// to 40 and wide planes of up to 140 columns, with and without the fused bias + ReLU6): forward values and input gradients against direct loops in
    /// Double. Run it under the address sanitizer to catch stray writes as well.
    @Test func depthwiseGeometrySweepMatchesDirectLoops() throws {
        var rng = SeededRNG(seed: 77)
        func pick(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }
        var checked = 0
        while checked < 360 {
            // The last 60 are wide planes (41 to 140 columns), like the model's stride-2 layers at odd input sizes.
            let wide = checked >= 300
            let k = pick(0...1) == 0 ? 3 : 5, stride = pick(1...2), c = wide ? pick(1...2) : pick(1...5)
            let h = wide ? pick(1...20) : pick(1...40), w = wide ? pick(41...140) : pick(1...40)
            let o = Conv2DOptions(strideY: stride, strideX: stride, padTop: pick(0...2), padBottom: pick(0...2),
                                  padLeft: pick(0...2), padRight: pick(0...2), groups: c)
            guard h + o.padTop + o.padBottom >= k, w + o.padLeft + o.padRight >= k else { continue }
            let x = Tensor.normal([pick(1...2), c, h, w], rng: &rng), filter = Tensor.normal([c, 1, k, k], rng: &rng)
            let fused = pick(0...1) == 1
            let bias = Tensor.normal([c], rng: &rng)
            let input = x.requiringGradient()
            let y = fused ? try Tensor.conv2d(input, filter: filter, bias: bias, options: o, activation: .relu6)
                          : try Tensor.conv2d(input, filter: filter, options: o)
            var reference = naiveConv(x, filter, o)
            let per = reference.count / (x.shape[0] * c)
            if fused { for i in reference.indices { reference[i] = Swift.min(Swift.max(reference[i] + Double(bias.scalars[(i / per) % c]), 0), 6) } }
            let forwardError = zip(y.scalars, reference).reduce(0.0) { Swift.max($0, abs(Double($1.0) - $1.1)) }
            #expect(y.count == reference.count && forwardError < 1e-4, "forward, k \(k), \(o), \(x.shape)")
            // Input gradient of Σ seed·y against the direct adjoint (through the ReLU6 mask when fused).
            let seed = Tensor.normal(y.shape, rng: &rng)
            let dx = try gradient(of: y, wrt: [input], seed: seed)[0].scalars
            let expected = depthwiseInputGradient(seed, filter, o, inputShape: x.shape) { !fused || (reference[$0] > 0 && reference[$0] < 6) }
            let backwardError = zip(dx, expected).reduce(0.0) { Swift.max($0, abs(Double($1.0) - $1.1)) }
            #expect(backwardError < 1e-3, "input gradient, k \(k), \(o), \(x.shape), fused \(fused)")
            checked += 1
        }
    }

    /// 1×1 convolutions with frozen weights (packed once for OpenBLAS's kernel when it exports its panel routines),
    /// with and without the fused bias + ReLU6: values and input gradients against direct loops in Double. Shapes
    /// cover the forward or the input gradient split by channels across threads (more channels than pixels: 6×6
    /// with 128 → 96, 12×12 with 200 → 48 where only the input gradient does, 7×7 with 40 → 300), depths over one
    /// packing block of 256 (7×7 with 300 → 64 forward, 64 → 520 backward), column tiles of a larger plane (20×20)
    /// and of a batch (two 9×9 images).
    @Test(arguments: [([1, 128, 6, 6], 96), ([1, 200, 12, 12], 48), ([1, 40, 7, 7], 300), ([1, 300, 7, 7], 64),
                      ([1, 64, 7, 7], 520), ([1, 24, 20, 20], 40), ([2, 16, 9, 9], 24)], [true, false])
    func pointwiseConvolutionMatchesDirectLoops(_ shapes: ([Int], Int), relu6: Bool) throws {
        let (inputShape, outputs) = shapes
        var rng = SeededRNG(seed: 5)
        let x = Tensor.normal(inputShape, rng: &rng), filter = Tensor.normal([outputs, inputShape[1], 1, 1], rng: &rng)
        let bias = Tensor.normal([outputs], rng: &rng)
        let input = x.requiringGradient()
        let y = try Tensor.conv2d(input, filter: filter, bias: bias, options: Conv2DOptions(), activation: relu6 ? .relu6 : .none)
        let (n, cin, pixels) = (inputShape[0], inputShape[1], inputShape[2] * inputShape[3])
        var reference = naiveConv(x, filter, Conv2DOptions())
        for i in reference.indices {
            let v = reference[i] + Double(bias.scalars[(i / pixels) % outputs])
            reference[i] = relu6 ? min(max(v, 0), 6) : v
        }
        #expect(zip(y.scalars, reference).allSatisfy { abs(Double($0) - $1) < 1e-3 })
        let seed = Tensor.normal(y.shape, rng: &rng)
        let dx = try gradient(of: y, wrt: [input], seed: seed)[0].scalars
        var expected = [Double](repeating: 0, count: x.count)
        for b in 0..<n { for o in 0..<outputs { for p in 0..<pixels {
            let at = (b * outputs + o) * pixels + p
            if relu6 && !(reference[at] > 0 && reference[at] < 6) { continue }
            for c in 0..<cin {
                expected[(b * cin + c) * pixels + p] += Double(filter.scalars[o * cin + c]) * Double(seed.scalars[at])
            }
        } } }
        let error = zip(dx, expected).reduce(0.0) { max($0, abs(Double($1.0) - $1.1)) }
        #expect(error < 1e-3)
    }

    /// Matrix-vector products large enough to be split across threads (a row vector times a matrix, a matrix times a
    /// column vector, each operand plain or transposed) against sums in Double.
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func largeMatrixVectorProductsMatchDirectSums(_ transposes: (Bool, Bool)) throws {
        var rng = SeededRNG(seed: 9)
        let (k, wide) = (700, 530)
        for vectorFirst in [true, false] {
            // vectorFirst: [1×k] · [k×wide]; else [wide×k] · [k×1]. A transposed operand is stored transposed.
            let aShape = vectorFirst ? [1, k] : [wide, k], bShape = vectorFirst ? [k, wide] : [k, 1]
            let a = Tensor.normal(transposes.0 ? aShape.reversed() : aShape, rng: &rng)
            let b = Tensor.normal(transposes.1 ? bShape.reversed() : bShape, rng: &rng)
            let y = try Tensor.matmul(a, b, transposeA: transposes.0, transposeB: transposes.1).scalars
            let (rows, columns) = (aShape[0], bShape[1])
            func at(_ t: Tensor, _ shape: [Int], _ transposed: Bool, _ i: Int, _ j: Int) -> Double {
                Double(transposed ? t.scalars[j * shape[0] + i] : t.scalars[i * shape[1] + j])
            }
            var error = 0.0
            for i in 0..<rows { for j in 0..<columns {
                let sum = (0..<k).reduce(0.0) { $0 + at(a, aShape, transposes.0, i, $1) * at(b, bShape, transposes.1, $1, j) }
                error = max(error, abs(Double(y[i * columns + j]) - sum))
            } }
            #expect(y.count == rows * columns && error < 1e-3, "vector first \(vectorFirst)")
        }
    }

    /// Where OpenBLAS exports its core's panel routines (Debian's DYNAMIC_ARCH build does), frozen 1×1 weights are
    /// packed once: the self-check against `cblas_sgemm` passed, so the test above ran the packed path.
    @Test func packedWeightsAreUsedWhereOpenBLASExportsItsPanelRoutines() {
        if ProcessInfo.processInfo.environment["GLIMPSE_PACKED_GEMM"] == "0" { return }
        #expect(packedWeightsInUse == openBLASExportsPanelRoutines, "core \(openBLASCoreName)")
    }

    /// Parallel kernels called back to back from one thread (through the spinning worker pool) and from four threads
    /// at once (one holds the pool, the others fall back to Dispatch) give the serial result every time.
    @Test func parallelKernelsAgreeUnderContention() throws {
        var rng = SeededRNG(seed: 31)
        let x = Tensor.normal([1, 32, 56, 56], rng: &rng), w = Tensor.normal([32, 1, 3, 3], rng: &rng)
        let pw = Tensor.normal([64, 32, 1, 1], rng: &rng)
        let options = Conv2DOptions(stride: 1, padding: 1, groups: 32)
        func pass() throws -> [Float] {
            let input = x.requiringGradient()
            let y = try Tensor.conv2d(Tensor.conv2d(input, filter: w, options: options, activation: .relu6), filter: pw)
            return try gradient(of: y.sum(), wrt: [input])[0].scalars + y.scalars
        }
        let reference = try pass()
        for _ in 0..<50 { #expect(try pass() == reference) }
        let mismatches = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<25 where (try? pass()) != reference { mismatches.withLock { $0 += 1 } }
        }
        #expect(mismatches.withLock { $0 } == 0)
    }

    /// The input gradient of a depthwise convolution by its direct adjoint, in Double: each output gradient
    /// `seed[at]` for which `passes(at)` is spread over the input pixels its taps read.
    func depthwiseInputGradient(_ seed: Tensor, _ filter: Tensor, _ o: Conv2DOptions, inputShape: [Int],
                                passes: (Int) -> Bool = { _ in true }) -> [Double] {
        let (n, c, h, w) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        let (k, ho, wo) = (filter.shape[2], seed.shape[2], seed.shape[3])
        var expected = [Double](repeating: 0, count: n * c * h * w)
        for b in 0..<n { for ch in 0..<c { for oy in 0..<ho { for ox in 0..<wo {
            let at = ((b * c + ch) * ho + oy) * wo + ox
            if !passes(at) { continue }
            for ky in 0..<k { for kx in 0..<k {
                let iy = oy * o.strideY - o.padTop + ky, ix = ox * o.strideX - o.padLeft + kx
                if iy < 0 || iy >= h || ix < 0 || ix >= w { continue }
                expected[((b * c + ch) * h + iy) * w + ix] += Double(seed.scalars[at]) * Double(filter[ch, 0, ky, kx])
            } }
        } } } }
        return expected
    }

    /// The stride-2 depthwise layers of EfficientNet-Lite0 at 224² (TF-"same" pads, more at the bottom and right) and
    /// at odd sizes: their input gradient against the direct adjoint.
    @Test(arguments: [(112, 3), (56, 5), (28, 3), (14, 5), (113, 3), (57, 5), (15, 5), (3, 3), (2, 5)])
    func strideTwoDepthwiseInputGradientMatchesAdjoint(size: Int, kernel: Int) throws {
        var rng = SeededRNG(seed: UInt64(size * 10 + kernel))
        let o = Conv2DOptions.same(kernel: kernel, stride: 2, height: size, width: size + 3, groups: 3)
        let x = Tensor.normal([1, 3, size, size + 3], rng: &rng), filter = Tensor.normal([3, 1, kernel, kernel], rng: &rng)
        let y = try Tensor.conv2d(x, filter: filter, options: o)
        let seed = Tensor.normal(y.shape, rng: &rng)
        let dx = try Tensor.conv2dBackwardInput(seed, filter: filter, inputShape: x.shape, options: o)
        let expected = depthwiseInputGradient(seed, filter, o, inputShape: x.shape)
        #expect(maxAbsDiff(dx.scalars, expected.map(Float.init)) < 1e-4)
    }

    /// Inference convolutions apply bias and ReLU/ReLU6 while storing; the result must equal the separate ops.
    @Test(arguments: [
        ([1, 6, 13, 11], [6, 1, 3, 3], Conv2DOptions.same(kernel: 3, stride: 2, height: 13, width: 11, groups: 6)),
        ([2, 3, 7, 7], [3, 1, 5, 5], Conv2DOptions.same(kernel: 5, stride: 1, height: 7, width: 7, groups: 3)),
        ([1, 8, 9, 9], [4, 8, 1, 1], Conv2DOptions()),
        ([1, 3, 10, 10], [5, 3, 3, 3], Conv2DOptions(stride: 1, padding: 1)),
    ])
    func fusedEpilogueMatchesSeparateOps(inputShape: [Int], filterShape: [Int], options: Conv2DOptions) throws {
        var rng = SeededRNG(seed: 24)
        let x = Tensor.normal(inputShape, rng: &rng) * 4, w = Tensor.normal(filterShape, rng: &rng)
        let b = Tensor.normal([filterShape[0]], rng: &rng)
        let plain = try Tensor.conv2d(x, filter: w, bias: b, options: options)
        for (activation, reference) in [(FusedActivation.none, plain), (.relu, plain.relu()), (.relu6, plain.relu6())] {
            let fused = try Tensor.conv2d(x, filter: w, bias: b, options: options, activation: activation)
            #expect(maxAbsDiff(fused.scalars, reference.scalars) < 1e-5)
        }
        #expect(plain.scalars.contains { $0 > 6 } && plain.scalars.contains { $0 < 0 })
    }

    /// Sums over trailing axes (global pooling's fast path), over middle axes and over leading axes, in Double.
    @Test(arguments: [[2, 3, 1, 1], [2, 1, 5, 7], [1, 3, 5, 7], [2, 3, 5, 1], [2, 3, 5, 7]])
    func summedMatchesDoubleSums(target: [Int]) throws {
        var rng = SeededRNG(seed: 25)
        let x = Tensor.normal([2, 3, 5, 7], rng: &rng)
        let y = try x.summed(toShape: target)
        var reference = [Double](repeating: 0, count: y.count)
        for a in 0..<2 { for b in 0..<3 { for c in 0..<5 { for d in 0..<7 {
            let i = [a, b, c, d].enumerated().map { target[$0.offset] == 1 ? 0 : $0.element }
            reference[((i[0] * target[1] + i[1]) * target[2] + i[2]) * target[3] + i[3]] += Double(x[a, b, c, d])
        } } } }
        #expect(zip(y.scalars, reference).allSatisfy { abs(Double($0) - $1) < 1e-5 })
    }

    @Test func finitenessSeesEveryLane() throws {
        for bad in [Float.nan, .infinity, -.infinity] {
            for position in [0, 7, 8, 18] {
                var values = [Float](repeating: 1e30, count: 19)
                values[position] = bad
                #expect(!(try Tensor(values, shape: [19])).isFinite)
            }
        }
        #expect(try Tensor([Float](repeating: 3e38, count: 19), shape: [19]).isFinite)
    }

    @Test func tfSamePadding() {
        let o = Conv2DOptions.same(kernel: 3, stride: 2, height: 224, width: 224)
        #expect((o.padTop, o.padBottom, o.padLeft, o.padRight) == (0, 1, 0, 1))
        let o5 = Conv2DOptions.same(kernel: 5, stride: 2, height: 112, width: 112)
        #expect((o5.padTop, o5.padBottom) == (1, 2))
        let o1 = Conv2DOptions.same(kernel: 5, stride: 1, height: 14, width: 14)
        #expect((o1.padTop, o1.padBottom) == (2, 2))
    }

    @Test func resizeMatchesHalfPixelFormula() throws {
        var rng = SeededRNG(seed: 22)
        let x = Tensor.normal([1, 1, 7, 5], rng: &rng)
        let y = try x.resizedBilinear(height: 11, width: 3)
        func axis(_ d: Int, _ inSize: Int, _ outSize: Int) -> (Int, Int, Double) {
            let src = max(0, (Double(d) + 0.5) * Double(inSize) / Double(outSize) - 0.5)
            let i0 = Int(src.rounded(.down)), i1 = min(i0 + 1, inSize - 1)
            return (i0, i1, src - Double(i0))
        }
        for oy in 0..<11 { for ox in 0..<3 {
            let (y0, y1, wy) = axis(oy, 7, 11), (x0, x1, wx) = axis(ox, 5, 3)
            let top = (1 - wx) * Double(x[0, 0, y0, x0]) + wx * Double(x[0, 0, y0, x1])
            let bottom = (1 - wx) * Double(x[0, 0, y1, x0]) + wx * Double(x[0, 0, y1, x1])
            #expect(abs(Double(y[0, 0, oy, ox]) - ((1 - wy) * top + wy * bottom)) < 1e-5)
        } }
    }

    @Test func fftRoundTripAndAdjointIdentity() throws {
        var rng = SeededRNG(seed: 23)
        let x = Tensor.normal([3, 8, 10], rng: &rng)
        let back = try x.rfft2().irfft2(width: 10)
        #expect(maxAbsDiff(back.scalars, x.scalars) < 1e-5)
        // ⟨g, irfft2(X)⟩ = ⟨adjoint(g), X⟩ for a random spectrum X (not Hermitian in column 0).
        let spectrum = Tensor.normal([3, 8, 6, 2], rng: &rng).requiringGradient()
        let g = Tensor.normal([3, 8, 10], rng: &rng)
        let y = try spectrum.irfft2(width: 10)
        let lhs = zip(y.scalars, g.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let adj = try gradient(of: y, wrt: [spectrum], seed: g)[0]
        let rhs = zip(adj.scalars, spectrum.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(lhs - rhs) < 1e-3 * max(1, abs(lhs)))
    }

    @Test func gradientAtHiddenTensor() throws {
        var rng = SeededRNG(seed: 24)
        let x = Tensor.normal([2, 3], rng: &rng).requiringGradient()
        let hidden = x.squared()
        let y = try (hidden * 3).sum()
        let grads = try gradient(of: y, wrt: [hidden, x])
        #expect(grads[0].scalars.allSatisfy { $0 == 3 })
        #expect(maxAbsDiff(grads[1].scalars, x.scalars.map { 6 * $0 }) < 1e-5)
    }

    @Test func inferenceRecordsNothing() throws {
        let x = Tensor(repeating: 1, shape: [2, 2]).requiringGradient()
        let y = withoutGradient { x.exp() }
        #expect(!y.isTracked)
        #expect(throws: TensorError.self) { try gradient(of: y, wrt: [x]) }
    }

    @Test func shapeErrorsNameBothShapes() {
        let a = Tensor(zeros: [2, 3]), b = Tensor(zeros: [4, 3])
        do {
            _ = try a + b
            Issue.record("expected an error")
        } catch let error as TensorError {
            #expect(error.description.contains("[2, 3]") && error.description.contains("[4, 3]"))
        } catch { Issue.record("unexpected \(error)") }
        #expect(throws: TensorError.self) { try Tensor.conv2d(Tensor(zeros: [1, 3, 4, 4]), filter: Tensor(zeros: [2, 4, 3, 3])) }
        #expect(throws: TensorError.self) { try Tensor.matmul(Tensor(zeros: [2, 3]), Tensor(zeros: [2, 3])) }
        #expect(throws: TensorError.self) { try Tensor([1, 2, 3], shape: [2, 2]) }
        #expect(throws: TensorError.self) { try Tensor(zeros: [1, 1, 2, 2]).maxPool2d(kernel: 3) }
        #expect(throws: TensorError.self) { try Tensor(repeating: .nan, shape: [2]).checkFinite("input") }
    }

    /// PyTorch's ceil_mode: a last window hanging over the edge counts, one starting in the padding does not.
    @Test func maxPoolCeilMode() throws {
        let x = try Tensor((0..<16).map(Float.init), shape: [1, 1, 4, 4])
        #expect(try x.maxPool2d(kernel: 3, stride: 2, ceilMode: true).scalars == [10, 11, 14, 15])
        #expect(try x.maxPool2d(kernel: 3, stride: 2).scalars == [10])
        #expect(try Tensor(zeros: [1, 1, 112, 112]).maxPool2d(kernel: 3, stride: 2, ceilMode: true).shape == [1, 1, 56, 56])
        #expect(try Tensor(zeros: [1, 1, 5, 5]).maxPool2d(kernel: 2, stride: 2, padding: 1, ceilMode: true).shape == [1, 1, 3, 3])
    }

    @Test func valueSemantics() {
        let a = Tensor(repeating: 1, shape: [3])
        var b = a
        b.withUnsafeMutableBufferPointer { $0[0] = 5 }
        #expect(a.scalars == [1, 1, 1])
        #expect(b.scalars == [5, 1, 1])
    }

    @Test func seededRandomIsReproducible() {
        var r1 = SeededRNG(seed: 42), r2 = SeededRNG(seed: 42), r3 = SeededRNG(seed: 43)
        let a = Tensor.normal([100], rng: &r1), b = Tensor.normal([100], rng: &r2), c = Tensor.normal([100], rng: &r3)
        #expect(a.scalars == b.scalars)
        #expect(a.scalars != c.scalars)
        let mean = a.scalars.reduce(0, +) / 100
        #expect(abs(mean) < 0.3)
    }
}
