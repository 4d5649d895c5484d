import Foundation

/// The IDX format of (Fashion-)MNIST: big-endian magic `00 00 08 D` (unsigned bytes, D dimensions),
/// D big-endian UInt32 sizes, then the bytes.
public enum IDX {
    /// Dimensions and raw bytes of an IDX file of unsigned bytes.
    public static func parse(_ data: Data) throws -> (shape: [Int], bytes: [UInt8]) {
        let b = [UInt8](data)
        guard b.count >= 4, b[0] == 0, b[1] == 0 else { throw TrainingError.malformedIDX("bad magic number") }
        guard b[2] == 0x08 else { throw TrainingError.malformedIDX("element type 0x\(String(b[2], radix: 16)) is not unsigned byte") }
        let rank = Int(b[3])
        guard (1...4).contains(rank), b.count >= 4 + 4 * rank else { throw TrainingError.malformedIDX("truncated header (rank \(rank))") }
        var shape: [Int] = []
        var total = 1
        for d in 0..<rank {
            let o = 4 + 4 * d
            let size = Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3])
            shape.append(size)
            let (product, overflow) = total.multipliedReportingOverflow(by: size)
            guard !overflow else { throw TrainingError.malformedIDX("dimensions \(shape) overflow") }
            total = product
        }
        let start = 4 + 4 * rank
        guard b.count - start == total else {
            throw TrainingError.malformedIDX("shape \(shape) needs \(total) bytes, the file has \(b.count - start)")
        }
        return (shape, Array(b[start...]))
    }
}
