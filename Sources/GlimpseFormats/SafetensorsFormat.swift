import Foundation

/// The safetensors format: an 8-byte little-endian header length, a JSON header
/// (`{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}`), then the data.
public enum Safetensors {
    static let dtypes: [String: ScalarType] = [
        "F32": .float32, "F16": .float16, "BF16": .bfloat16, "F64": .float64, "I64": .int64, "I32": .int32,
        "U8": .uint8, "I8": .int8, "BOOL": .bool,
    ]

    public static func load(contentsOf url: URL) throws -> StateDict {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FormatError.io(path: url.path, reason: (error as NSError).localizedDescription)
        }
        return try load(data: data)
    }

    /// Reads tensors in the order of their data offsets (the order they were written).
    public static func load(data: Data) throws -> StateDict {
        let bytes = [UInt8](data)
        var reader = ByteReader(bytes, what: "safetensors header")
        let headerLength = try reader.uint(8)
        guard headerLength <= UInt64(reader.remaining) else {
            throw FormatError.truncated("safetensors header", needed: Int(clamping: headerLength), available: reader.remaining)
        }
        let headerBytes = try reader.take(Int(headerLength))
        guard let header = try? JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any] else {
            throw FormatError.badMagic("safetensors")
        }
        let dataStart = reader.position
        let dataLength = bytes.count - dataStart
        var entries: [(String, ScalarType, [Int], Int, Int)] = []
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtypeName = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2 else {
                throw FormatError.malformed("safetensors entry '\(name)' lacks dtype, shape or data_offsets")
            }
            guard let dtype = dtypes[dtypeName] else { throw FormatError.unsupported("safetensors dtype \(dtypeName) of '\(name)'") }
            guard let count = shape.checkedProduct, offsets[0] >= 0, offsets[1] >= offsets[0],
                  offsets[1] - offsets[0] == count * dtype.size else {
                throw FormatError.malformed("safetensors entry '\(name)': offsets \(offsets) do not fit shape \(shape) of \(dtypeName)")
            }
            guard offsets[1] <= dataLength else {
                throw FormatError.truncated("safetensors tensor '\(name)'", needed: offsets[1], available: dataLength)
            }
            entries.append((name, dtype, shape, offsets[0], count))
        }
        entries.sort { $0.3 < $1.3 }
        var dict = StateDict()
        bytes.withUnsafeBytes { raw in
            for (name, dtype, shape, begin, count) in entries {
                dict.set(name, StoredTensor(shape: shape, scalarType: dtype, values: dtype.decode(raw, offset: dataStart + begin, count: count)))
            }
        }
        return dict
    }

    /// Writes every tensor as F32 (values are Floats), atomically.
    public static func write(_ dict: StateDict, metadata: [String: String] = [:], to url: URL) throws {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        var payload = Data()
        for key in dict.keys {
            guard let t = dict[key] else { continue }
            header[key] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + t.values.count * 4]]
            t.values.withUnsafeBytes { payload.append(contentsOf: $0) }
            offset += t.values.count * 4
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(payload)
        try AtomicFile.write(out, to: url)
    }
}

/// Writes files by writing a temporary file in the same folder and renaming it over the target.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try data.write(to: tmp)
            if rename(tmp.path, url.path) != 0 { throw FormatError.io(path: url.path, reason: String(cString: strerror(errno))) }
        } catch let error as FormatError {
            try? FileManager.default.removeItem(at: tmp)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw FormatError.io(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }
}
