/// Bounds-checked sequential reading of little-endian values; every read past the end throws `FormatError.truncated`.
struct ByteReader {
    let bytes: [UInt8]
    /// Names the data in error messages, e.g. "tiny.pth data.pkl".
    let what: String
    private(set) var position: Int

    init(_ bytes: [UInt8], what: String, position: Int = 0) {
        self.bytes = bytes
        self.what = what
        self.position = min(max(position, 0), bytes.count)
    }

    var remaining: Int { bytes.count - position }

    /// The next `count` bytes as indices into `bytes`.
    mutating func range(_ count: Int) throws -> Range<Int> {
        guard count >= 0, count <= remaining else {
            throw FormatError.truncated(what: "\(what) at byte \(position)", needed: count, available: remaining)
        }
        defer { position += count }
        return position..<(position + count)
    }

    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> { bytes[try range(count)] }

    mutating func byte() throws -> UInt8 { bytes[try range(1).lowerBound] }

    /// An unsigned little-endian integer of `size` (at most 8) bytes.
    mutating func uint(_ size: Int) throws -> UInt64 {
        guard size <= 8 else { throw FormatError.malformed("\(what): \(size)-byte integer at byte \(position)") }
        var value: UInt64 = 0
        for (i, b) in try take(size).enumerated() { value |= UInt64(b) << (8 * UInt64(i)) }
        return value
    }

    /// A length field checked against the bytes that remain, so that it can be used to read.
    mutating func length(_ size: Int) throws -> Int {
        let value = try uint(size)
        guard value <= UInt64(remaining) else {
            throw FormatError.truncated(what: "\(what) at byte \(position)", needed: Int(clamping: value), available: remaining)
        }
        return Int(value)
    }
}
