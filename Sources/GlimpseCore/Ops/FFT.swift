import CFFTW
import Foundation

/// Normalisation of the 2-D real FFTs.
public enum FFTNormalization: Sendable {
    /// No scaling in either direction (FFTW's own convention).
    case none
    /// `1/√(H·W)` in both directions (NumPy/PyTorch `norm="ortho"`, what Lucid uses).
    case ortho

    func scale(_ h: Int, _ w: Int) -> Float {
        switch self {
        case .none: return 1
        case .ortho: return 1 / Float(h * w).squareRoot()
        }
    }
}

/// Cached FFTW plans (planning is not thread-safe, so it happens under a lock). Plans use
/// FFTW_ESTIMATE: deterministic results run to run, about 1 ms for 3×224×224 forward + inverse.
enum FFTPlans {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var r2cPlans: [[Int]: fftwf_plan] = [:]
    nonisolated(unsafe) private static var c2rPlans: [[Int]: fftwf_plan] = [:]

    static func r2c(batch: Int, h: Int, w: Int) -> fftwf_plan {
        lock.lock(); defer { lock.unlock() }
        if let p = r2cPlans[[batch, h, w]] { return p }
        let wc = w / 2 + 1
        let input = fftwf_alloc_real(batch * h * w)!, output = fftwf_alloc_complex(batch * h * wc)!
        defer { fftwf_free(input); fftwf_free(output) }
        var dims: [Int32] = [Int32(h), Int32(w)]
        let plan = fftwf_plan_many_dft_r2c(2, &dims, Int32(batch), input, nil, 1, Int32(h * w),
                                           output, nil, 1, Int32(h * wc), UInt32(FFTW_ESTIMATE))!
        r2cPlans[[batch, h, w]] = plan
        return plan
    }

    static func c2r(batch: Int, h: Int, w: Int) -> fftwf_plan {
        lock.lock(); defer { lock.unlock() }
        if let p = c2rPlans[[batch, h, w]] { return p }
        let wc = w / 2 + 1
        let input = fftwf_alloc_complex(batch * h * wc)!, output = fftwf_alloc_real(batch * h * w)!
        defer { fftwf_free(input); fftwf_free(output) }
        var dims: [Int32] = [Int32(h), Int32(w)]
        let plan = fftwf_plan_many_dft_c2r(2, &dims, Int32(batch), input, nil, 1, Int32(h * wc),
                                           output, nil, 1, Int32(h * w), UInt32(FFTW_ESTIMATE))!
        c2rPlans[[batch, h, w]] = plan
        return plan
    }
}

/// Weight of spectrum column `l` in the real inverse FFT: interior columns stand for themselves and their mirror.
private func columnWeight(_ l: Int, width w: Int) -> Float {
    l == 0 || (w % 2 == 0 && l == w / 2) ? 1 : 2
}

extension Tensor {
    /// Unnormalised r2c over the last two axes: [..., H, W] → [..., H, W/2+1, 2] (real, imaginary), times `scale`.
    private func rawRFFT(scale: Float) -> Tensor {
        let h = shape[rank - 2], w = shape[rank - 1], wc = w / 2 + 1
        let batch = count / (h * w)
        let plan = FFTPlans.r2c(batch: batch, h: h, w: w)
        var out = Tensor(shape: Array(shape.dropLast(2)) + [h, wc, 2]) { _, _ in }
        storage.pointer.withMemoryRebound(to: Float.self, capacity: count) { src in
            out.storage.pointer.withMemoryRebound(to: fftwf_complex.self, capacity: batch * h * wc) { dst in
                fftwf_execute_dft_r2c(plan, UnsafeMutablePointer(mutating: src), dst)
            }
        }
        if scale != 1 { out.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] *= scale } } }
        return out
    }

    /// Unnormalised c2r over [..., H, Wc, 2] → [..., H, width], times `scale` (the input is copied: c2r destroys it).
    private func rawIRFFT(width w: Int, scale: Float) -> Tensor {
        let h = shape[rank - 3], wc = shape[rank - 2]
        let batch = count / (h * wc * 2)
        let plan = FFTPlans.c2r(batch: batch, h: h, w: w)
        let scratch = fftwf_alloc_complex(batch * h * wc)!
        defer { fftwf_free(scratch) }
        scratch.withMemoryRebound(to: Float.self, capacity: count) { $0.update(from: storage.pointer, count: count) }
        var out = Tensor(shape: Array(shape.dropLast(3)) + [h, w]) { dst, _ in fftwf_execute_dft_c2r(plan, scratch, dst) }
        if scale != 1 { out.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] *= scale } } }
        return out
    }

    /// Multiplies spectrum column l by `columnWeight(l)` (or divides, with `inverse`).
    private func weightingColumns(width w: Int, inverse: Bool) throws -> Tensor {
        let wc = shape[rank - 2]
        let weights = Tensor(shape: [wc, 1]) { p, _ in
            for l in 0..<wc { p[l] = inverse ? 1 / columnWeight(l, width: w) : columnWeight(l, width: w) }
        }
        return try self.timesConstant(weights)
    }

    private func checkSpectrum(width w: Int) throws {
        guard rank >= 3, shape[rank - 1] == 2, w >= 1, shape[rank - 2] == w / 2 + 1, shape[rank - 3] >= 1 else {
            throw TensorError.invalidArgument("a spectrum for width \(w) must be [..., H, \(w / 2 + 1), 2], found \(shape)")
        }
    }

    /// 2-D real FFT of the last two axes: [..., H, W] → [..., H, W/2+1, 2] (real and imaginary parts), on FFTW.
    public func rfft2(normalization: FFTNormalization = .ortho) throws -> Tensor {
        guard rank >= 2, shape[rank - 2] >= 1, shape[rank - 1] >= 1 else {
            throw TensorError.invalidArgument("rfft2 needs [..., H, W], found \(shape)")
        }
        let h = shape[rank - 2], w = shape[rank - 1]
        let s = normalization.scale(h, w)
        let r = rawRFFT(scale: s)
        return Tensor.recorded(r, inputs: [self]) { g in [try g.rfft2Adjoint(width: w, normalization: normalization)] }
    }

    /// The adjoint of `rfft2`: `c2r(G / w_l) · s`.
    func rfft2Adjoint(width w: Int, normalization: FFTNormalization) throws -> Tensor {
        try checkSpectrum(width: w)
        let h = shape[rank - 3]
        let weighted = try withoutGradient { try self.weightingColumns(width: w, inverse: true) }
        let r = weighted.rawIRFFT(width: w, scale: normalization.scale(h, w))
        return Tensor.recorded(r, inputs: [self]) { g in [try g.rfft2(normalization: normalization)] }
    }

    /// Inverse 2-D real FFT: [..., H, W/2+1, 2] → [..., H, width], on FFTW. Its gradient is exact: interior
    /// spectrum columns, which stand for themselves and their mirror, receive twice the weight.
    public func irfft2(width w: Int, normalization: FFTNormalization = .ortho) throws -> Tensor {
        try checkSpectrum(width: w)
        let h = shape[rank - 3]
        let r = rawIRFFT(width: w, scale: normalization.scale(h, w))
        return Tensor.recorded(r, inputs: [self]) { g in [try g.irfft2Adjoint(normalization: normalization)] }
    }

    /// The adjoint of `irfft2`: `w_l · r2c(g) · s`.
    func irfft2Adjoint(normalization: FFTNormalization) throws -> Tensor {
        let h = shape[rank - 2], w = shape[rank - 1]
        let spectrum = rawRFFT(scale: normalization.scale(h, w))
        let r = try withoutGradient { try spectrum.weightingColumns(width: w, inverse: false) }
        return Tensor.recorded(r, inputs: [self]) { g in [try g.irfft2(width: w, normalization: normalization)] }
    }
}
