import CGlimpseZlib
import Foundation

/// gzip decompression through zlib.
public enum Gzip {
    /// Largest output accepted (guards against decompression bombs): 1 GiB.
    public static let maxOutputBytes = 1 << 30

    /// The decompressed contents of a gzip stream; throws `TrainingError.corruptGzip` on corrupt or truncated input.
    public static func decompress(_ data: Data) throws -> Data {
        guard data.count >= 18, data[data.startIndex] == 0x1f, data[data.startIndex + 1] == 0x8b else {
            throw TrainingError.corruptGzip("not a gzip stream (\(data.count) bytes, no 1f 8b signature)")
        }
        var stream = z_stream()
        guard czlib_inflate_init2(&stream, 16 + MAX_WBITS) == Z_OK else { throw TrainingError.corruptGzip("zlib initialisation failed") }
        defer { inflateEnd(&stream) }
        var output = Data()
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        var status: Int32 = Z_OK
        try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: UInt8.self).baseAddress!)
            stream.avail_in = uInt(input.count)
            repeat {
                try buffer.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(chunk)
                    status = inflate(&stream, Z_NO_FLUSH)
                    guard status == Z_OK || status == Z_STREAM_END else {
                        let message = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                        throw TrainingError.corruptGzip(message)
                    }
                    output.append(out.baseAddress!, count: chunk - Int(stream.avail_out))
                }
                guard output.count <= maxOutputBytes else { throw TrainingError.corruptGzip("output exceeds \(maxOutputBytes) bytes") }
                if status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0 {
                    throw TrainingError.corruptGzip("truncated stream (ended after \(output.count) output bytes)")
                }
            } while status != Z_STREAM_END
        }
        return output
    }
}
