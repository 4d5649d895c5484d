import Foundation

/// Element type of a tensor as stored in a file.
public enum ScalarType: String, Sendable {
    case float16, bfloat16, float32, float64, int64, int32, uint8, int8, bool

    /// Bytes per element.
    var byteCount: Int {
        switch self {
        case .float16, .bfloat16: return 2
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        case .uint8, .int8, .bool: return 1
        }
    }

    /// Bytes taken by `count` elements, or nil when that overflows `Int` or `count` is negative.
    func byteCount(of count: Int) -> Int? {
        guard count >= 0 else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: byteCount)
        return overflow ? nil : bytes
    }

    /// Decodes the first `count` little-endian elements of `bytes` as Float.
    /// Throws `FormatError.truncated` (naming `what`) when `bytes` is too short.
    func decode(_ bytes: UnsafeRawBufferPointer, count: Int, what: String) throws -> [Float] {
        guard let needed = byteCount(of: count) else { throw FormatError.malformed("\(what): invalid element count \(count)") }
        guard needed <= bytes.count else { throw FormatError.truncated(what: what, needed: needed, available: bytes.count) }
        guard count > 0, let src = bytes.baseAddress else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { out, initialised in
            switch self {
            case .float32:
                if let dst = out.baseAddress { UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: needed) }
            case .float64:
                for i in 0..<count {
                    out[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                }
            case .float16:
                for i in 0..<count {
                    out[i] = Float(Float16(bitPattern: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                }
            case .bfloat16:
                for i in 0..<count {
                    out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
                }
            case .int64:
                for i in 0..<count { out[i] = Float(Int64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) }
            case .int32:
                for i in 0..<count { out[i] = Float(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
            case .uint8:
                for i in 0..<count { out[i] = Float(src.load(fromByteOffset: i, as: UInt8.self)) }
            case .int8:
                for i in 0..<count { out[i] = Float(src.load(fromByteOffset: i, as: Int8.self)) }
            case .bool:
                for i in 0..<count { out[i] = src.load(fromByteOffset: i, as: UInt8.self) == 0 ? 0 : 1 }
            }
            initialised = count
        }
    }

    /// Appends `values` as little-endian elements of this type (rounded to nearest, integers truncated and clamped).
    func encode(_ values: [Float], into data: inout Data) {
        switch self {
        case .float32: values.withUnsafeBytes { data.append(contentsOf: $0) }  // hosts are little-endian (x86-64, arm64)
        case .float64: for v in values { append(Double(v).bitPattern, to: &data) }
        case .float16: for v in values { append(Float16(v).bitPattern, to: &data) }
        case .bfloat16: for v in values { append(Self.bfloat16Bits(v), to: &data) }
        case .int64: for v in values { append(Self.clamped(v, to: Int64.self), to: &data) }
        case .int32: for v in values { append(Self.clamped(v, to: Int32.self), to: &data) }
        case .uint8: for v in values { data.append(Self.clamped(v, to: UInt8.self)) }
        case .int8: for v in values { data.append(UInt8(bitPattern: Self.clamped(v, to: Int8.self))) }
        case .bool: for v in values { data.append(v == 0 ? 0 : 1) }
        }
    }

    private func append<T: FixedWidthInteger>(_ value: T, to data: inout Data) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }

    /// Round-to-nearest-even bfloat16 bits of `value` (NaN stays NaN).
    private static func bfloat16Bits(_ value: Float) -> UInt16 {
        if value.isNaN { return 0x7FC0 }
        let bits = value.bitPattern
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    /// `value` truncated toward zero and clamped to `T` (NaN becomes 0).
    private static func clamped<T: FixedWidthInteger>(_ value: Float, to _: T.Type) -> T {
        if value.isNaN { return 0 }
        if value >= Float(T.max) { return T.max }
        if value <= Float(T.min) { return T.min }
        return T(value.rounded(.towardZero))
    }
}
