import Foundation

/// An array read from a NumPy `.npy` file.
public struct NPYArray: Sendable {
    public var shape: [Int]
    /// Element type in the file.
    public var scalarType: ScalarType
    /// Values in C order, converted to Float.
    public var values: [Float]
}

/// NumPy `.npy` files: reads format versions 1.0-3.0 in C order, writes float32 version 1.0.
public enum NPY {
    private static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    private static let dtypes: [String: ScalarType] = [
        "<f4": .float32, "<f2": .float16, "<f8": .float64, "|u1": .uint8, "|i1": .int8, "<i8": .int64, "<i4": .int32, "|b1": .bool,
    ]

    /// Reads the array in the file at `url`.
    public static func load(contentsOf url: URL) throws -> NPYArray { try load(data: FileIO.read(url)) }

    /// Reads an array from the bytes of a `.npy` file.
    public static func load(data: Data) throws -> NPYArray {
        let bytes = [UInt8](data)
        var reader = ByteReader(bytes, what: "npy header")
        let start = Array(try reader.take(6))
        guard start == magic else { throw FormatError.badMagic(what: "npy", found: TorchCheckpoint.hexPrefix(Data(start))) }
        let major = try reader.byte()
        _ = try reader.byte()
        let headerLength: Int
        switch major {
        case 1: headerLength = try reader.length(2)
        case 2, 3: headerLength = try reader.length(4)
        default: throw FormatError.unsupported("npy format version \(major)")
        }
        let header = try NPYHeader(Array(try reader.take(headerLength)))
        guard let type = dtypes[header.descr] else { throw FormatError.unsupported("npy dtype '\(header.descr)'") }
        guard !header.fortranOrder else {
            throw FormatError.unsupported("Fortran-ordered npy array; save it with numpy.ascontiguousarray first")
        }
        guard let count = header.shape.checkedProduct else { throw FormatError.malformed("npy shape \(header.shape)") }
        let values = try bytes.withUnsafeBytes { raw in
            try type.decode(UnsafeRawBufferPointer(rebasing: raw[reader.position...]), count: count, what: "npy data of shape \(header.shape)")
        }
        return NPYArray(shape: header.shape, scalarType: type, values: values)
    }

    /// Writes float32 `values` of `shape` (C order) as a version 1.0 `.npy` file, atomically.
    /// Throws if the number of values does not match the shape.
    public static func write(_ values: [Float], shape: [Int], to url: URL) throws {
        guard shape.checkedProduct == values.count else {
            throw FormatError.malformed("npy write: \(values.count) values do not fill shape \(shape)")
        }
        try FileIO.writeAtomically(encode(values, shape: shape), to: url)
    }

    /// The bytes of a float32 `.npy` file (version 1.0, or 2.0 if the header exceeds 64 KiB),
    /// its header padded with spaces so that the data starts at a multiple of 64 bytes, as NumPy writes it.
    public static func encode(_ values: [Float], shape: [Int]) -> Data {
        let dims = shape.map(String.init)
        let shapeText = "(" + dims.joined(separator: ", ") + (dims.count == 1 ? ",)" : ")")
        var header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }".utf8)
        let lengthBytes = header.count + 1 < 65_536 - 64 ? 2 : 4
        let preamble = magic.count + 2 + lengthBytes
        header += [UInt8](repeating: 0x20, count: (64 - (preamble + header.count + 1) % 64) % 64) + [0x0A]
        var out = Data(magic + [lengthBytes == 2 ? 1 : 2, 0])
        withUnsafeBytes(of: UInt32(header.count).littleEndian) { out.append(contentsOf: $0.prefix(lengthBytes)) }
        out.append(contentsOf: header)
        ScalarType.float32.encode(values, into: &out)
        return out
    }
}

/// The Python-literal dict of an npy header, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (1, 10), }`.
private struct NPYHeader {
    var descr = ""
    var fortranOrder = false
    var shape: [Int] = []

    private enum Literal {
        case string(String), bool(Bool), tuple([Int])
    }

    init(_ text: [UInt8]) throws {
        var scanner = Scanner(text: text)
        var seen: Set<String> = []
        try scanner.expect("{")
        while !scanner.consume("}") {
            guard case let .string(key) = try scanner.literal() else { throw scanner.error("a quoted key") }
            try scanner.expect(":")
            switch (key, try scanner.literal()) {
            case let ("descr", .string(v)): descr = v
            case let ("fortran_order", .bool(v)): fortranOrder = v
            case let ("shape", .tuple(v)): shape = v
            default: throw FormatError.malformed("npy header: unexpected value for '\(key)'")
            }
            seen.insert(key)
            _ = scanner.consume(",")
        }
        guard seen == ["descr", "fortran_order", "shape"] else {
            throw FormatError.malformed("npy header has keys \(seen.sorted()), expected descr, fortran_order and shape")
        }
    }

    private struct Scanner {
        let text: [UInt8]
        var position = 0

        func error(_ expected: String) -> FormatError {
            FormatError.malformed("npy header: expected \(expected) at character \(position)")
        }

        mutating func skipSpaces() {
            while position < text.count, text[position] == 0x20 || text[position] == 0x0A { position += 1 }
        }

        /// Skips spaces, then consumes `token` if it comes next.
        mutating func consume(_ token: String) -> Bool {
            skipSpaces()
            let bytes = Array(token.utf8)
            guard text.count - position >= bytes.count, Array(text[position..<(position + bytes.count)]) == bytes else { return false }
            position += bytes.count
            return true
        }

        mutating func expect(_ token: String) throws {
            guard consume(token) else { throw error("'\(token)'") }
        }

        mutating func literal() throws -> Literal {
            if consume("True") { return .bool(true) }
            if consume("False") { return .bool(false) }
            if consume("(") {
                var values: [Int] = []
                while !consume(")") {
                    values.append(try integer())
                    if !consume(",") { try expect(")"); break }
                }
                return .tuple(values)
            }
            for quote: UInt8 in [0x27, 0x22] where consume(String(UnicodeScalar(quote))) {  // ' or "
                guard let end = text[position...].firstIndex(of: quote) else { throw error("a closing quote") }
                defer { position = end + 1 }
                return .string(String(decoding: text[position..<end], as: UTF8.self))
            }
            throw error("a value")
        }

        private mutating func integer() throws -> Int {
            skipSpaces()
            let digits = text[position...].prefix { (0x30...0x39).contains($0) }
            guard !digits.isEmpty, digits.count <= 18, let value = Int(String(decoding: digits, as: UTF8.self)) else {
                throw error("a dimension")
            }
            position += digits.count
            _ = consume("L")  // Python 2 long suffix
            return value
        }
    }
}
