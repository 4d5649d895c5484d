/// Element type of a tensor as stored in a file.
public enum ScalarType: String, Sendable, CaseIterable {
    case float16, bfloat16, float32, float64, int64, int32, uint8, int8, bool

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float16, .bfloat16: return 2
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        case .uint8, .int8, .bool: return 1
        }
    }

    /// Decodes `count` little-endian elements from `bytes` at `offset` (bounds already checked) as Float.
    func decode(_ bytes: UnsafeRawBufferPointer, offset: Int, count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        let base = bytes.baseAddress! + offset
        switch self {
        case .float32:
            out.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: base, count: count * 4)) }
        case .float64:
            for i in 0..<count { out[i] = Float(Double(bitPattern: base.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))) }
        case .float16:
            for i in 0..<count { out[i] = Float(Float16(bitPattern: base.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) }
        case .bfloat16:
            for i in 0..<count { out[i] = Float(bitPattern: UInt32(base.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) << 16) }
        case .int64:
            for i in 0..<count { out[i] = Float(base.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)) }
        case .int32:
            for i in 0..<count { out[i] = Float(base.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)) }
        case .uint8, .bool:
            for i in 0..<count { out[i] = Float(base.load(fromByteOffset: i, as: UInt8.self)) }
        case .int8:
            for i in 0..<count { out[i] = Float(base.load(fromByteOffset: i, as: Int8.self)) }
        }
        return out
    }
}

/// A tensor read from a file: its shape, stored element type and values converted to Float (C order).
public struct StoredTensor: Sendable, Equatable {
    public var shape: [Int]
    public var scalarType: ScalarType
    public var values: [Float]

    public init(shape: [Int], scalarType: ScalarType = .float32, values: [Float]) {
        self.shape = shape
        self.scalarType = scalarType
        self.values = values
    }

    /// Number of elements (1 for a scalar of shape []).
    public var count: Int { shape.reduce(1, *) }
}

/// Named tensors in file order.
public struct StateDict: Sendable {
    public private(set) var keys: [String] = []
    private var tensors: [String: StoredTensor] = [:]

    public init() {}

    public subscript(key: String) -> StoredTensor? { tensors[key] }
    public var count: Int { keys.count }

    /// Adds or replaces `key` (a new key goes last).
    public mutating func set(_ key: String, _ tensor: StoredTensor) {
        if tensors[key] == nil { keys.append(key) }
        tensors[key] = tensor
    }

    /// The tensor at `key`, checked against `shape`.
    public func tensor(_ key: String, shape: [Int]) throws -> StoredTensor {
        guard let t = tensors[key] else { throw FormatError.missingKey(key) }
        guard t.shape == shape else { throw FormatError.shapeMismatch(key: key, expected: shape, found: t.shape) }
        return t
    }
}

/// Checked reading of little-endian values from bytes.
struct ByteReader {
    let bytes: [UInt8]
    var position = 0
    let what: String

    init(_ bytes: [UInt8], what: String, position: Int = 0) {
        self.bytes = bytes
        self.what = what
        self.position = position
    }

    var remaining: Int { bytes.count - position }

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else { throw FormatError.truncated(what, needed: n, available: max(remaining, 0)) }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    mutating func byte() throws -> UInt8 { try take(1).first! }

    mutating func uint(_ n: Int) throws -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in try take(n).enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }

    mutating func int64() throws -> Int64 { Int64(bitPattern: try uint(8)) }
}

extension Array where Element == Int {
    /// Product of the elements, or nil on overflow or a negative element.
    var checkedProduct: Int? {
        var p = 1
        for d in self {
            guard d >= 0 else { return nil }
            let (r, o) = p.multipliedReportingOverflow(by: d)
            if o { return nil }
            p = r
        }
        return p
    }
}
