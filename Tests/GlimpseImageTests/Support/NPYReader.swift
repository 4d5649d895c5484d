import Foundation

/// A minimal reader for the NPY files in Fixtures: little-endian float32 ('<f4') or uint8 ('|u1'), C order.
struct NPYArray {
    enum Failure: Error { case bad(String) }

    var shape: [Int]
    /// Every element as Float (uint8 values are widened).
    var floats: [Float]
    /// The raw elements of a '|u1' file (empty for '<f4').
    var bytes: [UInt8]

    init(contentsOf url: URL) throws {
        let data = [UInt8](try Data(contentsOf: url))
        guard data.count >= 10, data.starts(with: [0x93] + Array("NUMPY".utf8)) else { throw Failure.bad("not an NPY file") }
        let major = data[6]
        let headerLength: Int, headerStart: Int
        if major == 1 {
            headerLength = Int(data[8]) | Int(data[9]) << 8
            headerStart = 10
        } else {
            guard data.count >= 12 else { throw Failure.bad("short header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(data[8 + $1]) << (8 * $1) }
            headerStart = 12
        }
        let bodyStart = headerStart + headerLength
        guard bodyStart <= data.count else { throw Failure.bad("header runs past the end") }
        let header = String(decoding: data[headerStart..<bodyStart], as: UTF8.self)
        guard !header.contains("'fortran_order': True") else { throw Failure.bad("Fortran order") }
        guard let shapeOpen = header.range(of: "'shape': ("),
              let shapeClose = header[shapeOpen.upperBound...].firstIndex(of: ")") else { throw Failure.bad("no shape") }
        shape = header[shapeOpen.upperBound..<shapeClose].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        let count = shape.reduce(1, *)
        let body = data[bodyStart...]
        if header.contains("'descr': '<f4'") {
            guard body.count == 4 * count else { throw Failure.bad("expected \(count) float32 values") }
            floats = body.withUnsafeBytes { raw in
                (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            }
            bytes = []
        } else if header.contains("'descr': '|u1'") {
            guard body.count == count else { throw Failure.bad("expected \(count) uint8 values") }
            bytes = Array(body)
            floats = bytes.map(Float.init)
        } else {
            throw Failure.bad("unsupported dtype in \(header)")
        }
    }
}
