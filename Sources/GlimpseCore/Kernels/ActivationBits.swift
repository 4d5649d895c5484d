import CGlimpseKernels

/// One bit per output of a recorded 1×1 convolution's fused ReLU/ReLU6: set where the activation passes its gradient
/// (0 < y < upper). The forward writes the bits while each output tile is still in cache; the input gradient reads
/// them instead of the float outputs, 1/32 of the memory traffic: reading the outputs back, long out of cache by the
/// backward pass, was about 7 % of a PGD-10 on EfficientNet-Lite0. (Depthwise layers read their outputs back one
/// contiguous plane at a time, which streams well; bits measured no faster there.) One row of bits per image and
/// channel, each starting on a byte; callers start every run at a column that is a multiple of 8. The forward writes
/// every byte (`ConvKernels.recordsActivationBits` names the paths that do), so the storage is not zeroed first.
final class ActivationBits: @unchecked Sendable {
    /// The bits, as the kernels use them (no reference counting in their loops).
    let rows: BitRows

    init(rows count: Int, rowLength: Int) {
        let rowBytes = (rowLength + 7) / 8
        rows = BitRows(bytes: .allocate(capacity: count * rowBytes), rowBytes: rowBytes)
    }

    deinit { rows.bytes.deallocate() }
}

/// The storage of `ActivationBits`: rows of `rowBytes` bytes, bit l of byte k of a row for column 8k + l.
struct BitRows {
    let bytes: UnsafeMutablePointer<UInt8>
    let rowBytes: Int

    /// Records values[0..<n], columns start..<start + n of row `row` (start a multiple of 8).
    @inline(__always) func record(_ values: UnsafePointer<Float>, row: Int, start: Int, count n: Int, upper: Float) {
        glimpse_record_activation_bits(values, bytes + row * rowBytes + start / 8, n, upper)
    }

    /// out[i] = g[i] where the bit of column start + i of row `row` is set (and g[i] > 0 when `positiveOnly`,
    /// guided backpropagation), else 0, for i in 0..<n (start a multiple of 8).
    @inline(__always) func apply(_ g: UnsafePointer<Float>, row: Int, start: Int, count n: Int, positiveOnly: Bool,
                                 into out: UnsafeMutablePointer<Float>) {
        let source = bytes + row * rowBytes + start / 8
        let lanes = Self.lanes, zero = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            let gv = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
            var kept = unsafeBitCast(unsafeBitCast(gv, to: SIMD8<UInt32>.self) & lanes[Int(source[i / 8])], to: SIMD8<Float>.self)
            if positiveOnly { kept.replace(with: zero, where: .!(gv .> zero)) }
            UnsafeMutableRawPointer(out + i).storeBytes(of: kept, as: SIMD8<Float>.self)
            i += 8
        }
        if i < n {
            let byte = source[i / 8]
            for l in 0..<(n - i) {
                out[i + l] = (byte >> l) & 1 == 1 && (!positiveOnly || g[i + l] > 0) ? g[i + l] : 0
            }
        }
    }

    /// Lane masks of every byte: all ones in lane l where bit l is set.
    private static let lanes: UnsafePointer<SIMD8<UInt32>> = {
        let table = UnsafeMutablePointer<SIMD8<UInt32>>.allocate(capacity: 256)
        for byte in 0..<256 {
            var lane = SIMD8<UInt32>()
            for l in 0..<8 where byte >> l & 1 == 1 { lane[l] = .max }
            table[byte] = lane
        }
        return UnsafePointer(table)
    }()
}
