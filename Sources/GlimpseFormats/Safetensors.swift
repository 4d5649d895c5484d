import Foundation

/// The safetensors format: an 8-byte little-endian header length, a JSON header
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {"k": "v"}}`,
/// then the tensor data (offsets relative to the end of the header).
public enum Safetensors {
    private static let dtypes: [String: ScalarType] = [
        "F16": .float16, "BF16": .bfloat16, "F32": .float32, "F64": .float64, "I64": .int64, "I32": .int32,
        "U8": .uint8, "I8": .int8, "BOOL": .bool,
    ]
    private static let dtypeNames = Dictionary(uniqueKeysWithValues: dtypes.map { ($0.value, $0.key) })

    /// Reads the tensors of the file at `url`.
    public static func load(contentsOf url: URL) throws -> StateDict { try load(data: FileIO.read(url)) }

    /// Reads tensors, ordered by their position in the data (the order they were written).
    public static func load(data: Data) throws -> StateDict {
        let bytes = [UInt8](data)
        let (header, dataStart) = try readHeader(bytes)
        let dataLength = bytes.count - dataStart
        var located: [(name: String, type: ScalarType, shape: [Int], range: Range<Int>)] = []
        for (name, info) in header.tensors {
            guard let type = dtypes[info.dtype] else { throw FormatError.unsupported("safetensors dtype '\(info.dtype)' of '\(name)'") }
            guard info.data_offsets.count == 2, let count = info.shape.checkedProduct, let size = type.byteCount(of: count),
                  info.data_offsets[0] >= 0, info.data_offsets[1] >= info.data_offsets[0],
                  info.data_offsets[1] - info.data_offsets[0] == size else {
                throw FormatError.malformed("safetensors tensor '\(name)': data_offsets \(info.data_offsets) do not fit shape \(info.shape) of \(info.dtype)")
            }
            let range = info.data_offsets[0]..<info.data_offsets[1]
            guard range.upperBound <= dataLength else {
                throw FormatError.truncated(what: "safetensors tensor '\(name)'", needed: range.upperBound, available: dataLength)
            }
            located.append((name, type, info.shape, range))
        }
        located.sort { ($0.range.lowerBound, $0.name) < ($1.range.lowerBound, $1.name) }
        for (previous, next) in zip(located, located.dropFirst()) where next.range.lowerBound < previous.range.upperBound {
            throw FormatError.malformed("safetensors tensors '\(previous.name)' and '\(next.name)' overlap")
        }
        var dict = StateDict()
        try bytes.withUnsafeBytes { raw in
            for t in located {
                let slice = UnsafeRawBufferPointer(rebasing: raw[(dataStart + t.range.lowerBound)..<(dataStart + t.range.upperBound)])
                let values = try t.type.decode(slice, count: t.range.count / t.type.byteCount, what: "safetensors tensor '\(t.name)'")
                dict.set(t.name, StoredTensor(shape: t.shape, scalarType: t.type, values: values))
            }
        }
        return dict
    }

    /// The `__metadata__` map of the file at `url` (empty if it has none).
    public static func metadata(contentsOf url: URL) throws -> [String: String] { try metadata(data: FileIO.read(url)) }

    /// The `__metadata__` map of a safetensors file (empty if it has none).
    public static func metadata(data: Data) throws -> [String: String] { try readHeader([UInt8](data)).header.metadata }

    /// Writes every tensor in its `scalarType` (values converted from Float) in dict order, atomically.
    public static func write(_ dict: StateDict, metadata: [String: String] = [:], to url: URL) throws {
        var header = Header(metadata: metadata)
        var payload = Data()
        for key in dict.keys {
            guard let tensor = dict[key] else { continue }
            guard tensor.shape.checkedProduct == tensor.values.count else {
                throw FormatError.malformed("tensor '\(key)': \(tensor.values.count) values do not fill shape \(tensor.shape)")
            }
            let begin = payload.count
            tensor.scalarType.encode(tensor.values, into: &payload)
            header.tensors.append((key, TensorInfo(dtype: dtypeNames[tensor.scalarType] ?? "F32", shape: tensor.shape, data_offsets: [begin, payload.count])))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var json = try encoder.encode(header)
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))  // align the data to 8 bytes
        var file = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        file.append(payload)
        try FileIO.writeAtomically(file, to: url)
    }

    /// The parsed JSON header and the offset where the tensor data starts.
    private static func readHeader(_ bytes: [UInt8]) throws -> (header: Header, dataStart: Int) {
        var reader = ByteReader(bytes, what: "safetensors header")
        let length = try reader.length(8)
        let json = Data(try reader.take(length))
        do {
            return (try JSONDecoder().decode(Header.self, from: json), reader.position)
        } catch {
            throw FormatError.malformed("safetensors header (\(length) bytes) is not the expected JSON: \(error)")
        }
    }

    private struct TensorInfo: Codable {
        var dtype: String
        var shape: [Int]
        var data_offsets: [Int]
    }

    /// Tensor entries plus the optional `__metadata__` string map, all keys of one JSON object.
    private struct Header: Codable {
        var tensors: [(name: String, info: TensorInfo)] = []
        var metadata: [String: String] = [:]

        private struct Key: CodingKey {
            var stringValue: String
            init(stringValue: String) { self.stringValue = stringValue }
            var intValue: Int? { nil }
            init?(intValue: Int) { nil }
        }
        private static let metadataKey = "__metadata__"

        init(metadata: [String: String]) { self.metadata = metadata }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for key in container.allKeys {
                if key.stringValue == Self.metadataKey {
                    metadata = try container.decode([String: String].self, forKey: key)
                } else {
                    tensors.append((key.stringValue, try container.decode(TensorInfo.self, forKey: key)))
                }
            }
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            if !metadata.isEmpty { try container.encode(metadata, forKey: Key(stringValue: Self.metadataKey)) }
            for (name, info) in tensors { try container.encode(info, forKey: Key(stringValue: name)) }
        }
    }
}
