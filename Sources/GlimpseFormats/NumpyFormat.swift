import Foundation

/// An array read from a NumPy `.npy` file, values converted to Float.
public struct NPYArray: Sendable {
    public var shape: [Int]
    public var scalarType: ScalarType
    public var values: [Float]
}

/// NumPy `.npy` files (format versions 1-3, C order).
public enum NPY {
    static let descriptors: [String: ScalarType] = [
        "<f4": .float32, "<f2": .float16, "<f8": .float64, "|u1": .uint8, "<i8": .int64, "<i4": .int32, "|b1": .bool, "|i1": .int8,
    ]

    public static func load(contentsOf url: URL) throws -> NPYArray {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FormatError.io(path: url.path, reason: (error as NSError).localizedDescription)
        }
        return try load(data: data)
    }

    public static func load(data: Data) throws -> NPYArray {
        let bytes = [UInt8](data)
        var reader = ByteReader(bytes, what: "npy header")
        guard Array(try reader.take(6)) == [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] else { throw FormatError.badMagic("npy") }
        let major = try reader.byte()
        _ = try reader.byte()
        let headerLength: Int
        switch major {
        case 1: headerLength = Int(try reader.uint(2))
        case 2, 3: headerLength = Int(try reader.uint(4))
        default: throw FormatError.unsupported("npy format version \(major)")
        }
        let header = String(decoding: try reader.take(headerLength), as: UTF8.self)
        guard let descr = field(header, "descr").flatMap(quoted), let type = descriptors[descr] else {
            throw FormatError.unsupported("npy dtype in header \(header.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard field(header, "fortran_order")?.hasPrefix("False") == true else {
            throw FormatError.unsupported("Fortran-ordered npy arrays (save with numpy.ascontiguousarray)")
        }
        guard let shapeText = field(header, "shape"), let shape = parseShape(shapeText), let count = shape.checkedProduct else {
            throw FormatError.malformed("npy shape in header \(header)")
        }
        let (needed, overflow) = count.multipliedReportingOverflow(by: type.size)
        guard !overflow, needed <= reader.remaining else {
            throw FormatError.truncated("npy data", needed: overflow ? Int.max : needed, available: reader.remaining)
        }
        let start = reader.position
        let values = bytes.withUnsafeBytes { type.decode($0, offset: start, count: count) }
        return NPYArray(shape: shape, scalarType: type, values: values)
    }

    /// Encodes float32 values (C order) as a version 1.0 `.npy` file.
    public static func encode(_ values: [Float], shape: [Int]) -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out = Data([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0])
        let length = UInt16(header.utf8.count)
        out.append(UInt8(length & 0xff)); out.append(UInt8(length >> 8))
        out.append(contentsOf: Array(header.utf8))
        values.withUnsafeBytes { out.append(contentsOf: $0) }
        return out
    }

    /// Writes float32 values atomically; throws if the count does not match the shape.
    public static func write(_ values: [Float], shape: [Int], to url: URL) throws {
        guard shape.checkedProduct == values.count else {
            throw FormatError.malformed("\(values.count) values do not fill shape \(shape)")
        }
        try AtomicFile.write(encode(values, shape: shape), to: url)
    }

    private static func field(_ header: String, _ name: String) -> String? {
        guard let r = header.range(of: "'\(name)':") else { return nil }
        return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
    }

    /// The first single- or double-quoted token of `text`.
    private static func quoted(_ text: String) -> String? {
        guard let q = text.first, q == "'" || q == "\"" else { return nil }
        let rest = text.dropFirst()
        guard let end = rest.firstIndex(of: q) else { return nil }
        return String(rest[..<end])
    }

    private static func parseShape(_ text: String) -> [Int]? {
        guard text.hasPrefix("("), let close = text.firstIndex(of: ")") else { return nil }
        let inner = text[text.index(after: text.startIndex)..<close]
        let parts = inner.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let dims = parts.compactMap { Int($0) }
        return dims.count == parts.count && dims.allSatisfy({ $0 >= 0 }) ? dims : nil
    }
}
