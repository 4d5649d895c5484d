import Foundation

/// PyTorch `.pth` state dicts: the zip format of `torch.save` (torch ≥ 1.6) and the legacy format before it.
/// Only plain state dicts (a dict of tensors) are read; nothing in the file is executed.
public enum TorchCheckpoint {
    /// Reads the state dict in the file at `url`; the format is detected from its first bytes.
    public static func load(contentsOf url: URL) throws -> StateDict {
        let data = try FileIO.read(url)
        if isZip(data) {
            try ZipPreflight.check(data, name: url.lastPathComponent)
            return try loadZip(file: url, size: data.count, name: url.lastPathComponent)
        }
        return try load(data: data, name: url.lastPathComponent)
    }

    /// Reads a state dict from the bytes of a `.pth` file; `name` (e.g. the file name) appears in error messages.
    public static func load(data: Data, name: String = "checkpoint") throws -> StateDict {
        if isZip(data) {
            try ZipPreflight.check(data, name: name)
            // ZIPFoundation's in-memory archives trap on out-of-range offsets; its file-backed reader does not.
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-\(UUID().uuidString).pth")
            do { try data.write(to: file) } catch { throw FormatError.io(path: file.path, reason: error.localizedDescription) }
            defer { try? FileManager.default.removeItem(at: file) }
            return try loadZip(file: file, size: data.count, name: name)
        }
        guard data.first == 0x80 else {
            throw FormatError.badMagic(what: "PyTorch checkpoint (\(name))", found: hexPrefix(data))
        }
        return try loadLegacy([UInt8](data), name: name)
    }

    private static func isZip(_ data: Data) -> Bool { data.starts(with: [0x50, 0x4B, 0x03, 0x04]) }

    /// Legacy format: pickles of the magic number, the protocol version (1001), the sys info and the state dict,
    /// then a pickled list of storage keys, then per listed key an int64 element count and the raw little-endian elements.
    private static func loadLegacy(_ bytes: [UInt8], name: String) throws -> StateDict {
        let magic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]  // 0x1950a86a20f9469cfc6c
        var unpickler = Unpickler(bytes, what: name)
        guard case .bigInt(magic) = try unpickler.load() else {
            throw FormatError.badMagic(what: "legacy PyTorch checkpoint (\(name))", found: "a pickle other than the magic number 0x1950a86a20f9469cfc6c")
        }
        let version = try unpickler.load()
        guard case .int(1001) = version else {
            throw FormatError.unsupported("\(name): legacy checkpoint protocol \(version), expected 1001")
        }
        let sysInfo = try unpickler.load()
        if let littleEndian = unpickler.entries(sysInfo)?.first(where: { if case .string("little_endian") = $0.key { true } else { false } }),
           case .bool(false) = littleEndian.value {
            throw FormatError.unsupported("\(name): big-endian checkpoint")
        }
        let root = try unpickler.load()
        let tensors = try stateDictTensors(root, of: unpickler, fileSize: bytes.count, name: name)
        let keyListValue = try unpickler.load()
        guard let keyList = unpickler.items(keyListValue) else {
            throw FormatError.malformed("\(name): the pickled list of storage keys is missing")
        }
        var storages: [String: StorageRef] = [:]
        for (_, tensor) in tensors where storages[tensor.storage.key] == nil { storages[tensor.storage.key] = tensor.storage }
        var ranges: [String: Range<Int>] = [:]
        var reader = ByteReader(bytes, what: name, position: unpickler.position)
        for item in keyList {
            guard case let .string(key) = item, let storage = storages[key] else {
                throw FormatError.malformed("\(name): storage list entry \(item) is not the key of a tensor's storage")
            }
            let count = try reader.uint(8)
            guard count == UInt64(storage.count), let size = storage.type.byteCount(of: storage.count) else {
                throw FormatError.malformed("\(name): storage '\(key)' holds \(Int64(bitPattern: count)) elements, its tensors say \(storage.count)")
            }
            ranges[key] = try reader.range(size)
        }
        var dict = StateDict()
        try bytes.withUnsafeBytes { raw in
            for (key, tensor) in tensors {
                guard let range = ranges[tensor.storage.key] else {
                    throw FormatError.malformed("\(name): storage '\(tensor.storage.key)' of tensor '\(key)' is not in the file")
                }
                dict.set(key, try tensor.materialise(from: UnsafeRawBufferPointer(rebasing: raw[range]), name: key))
            }
        }
        return dict
    }

    /// The tensors of an unpickled state dict, in file order. Entries that are not tensors are skipped.
    /// Views may alias (tied weights, stride-0 broadcasts), so their total size is capped relative to the
    /// `fileSize`: a small crafted file must not be able to demand gigabytes.
    static func stateDictTensors(_ root: PickleValue, of unpickler: Unpickler, fileSize: Int, name: String) throws -> [(key: String, tensor: TensorRef)] {
        guard let entries = unpickler.entries(root) else {
            throw FormatError.malformed("\(name): the checkpoint is not a state dict (its pickle is not a dict)")
        }
        var tensors: [(key: String, tensor: TensorRef)] = []
        var budget = min(fileSize, Int.max / 8) * 4 + (1 << 24)
        for entry in entries {
            guard case let .string(key) = entry.key else { throw FormatError.malformed("\(name): a state-dict key is not a string") }
            guard case let .tensor(tensor) = entry.value else { continue }
            guard let count = tensor.shape.checkedProduct, count <= budget else {
                throw FormatError.unsupported("\(name): tensor '\(key)' of shape \(tensor.shape) exceeds what a \(fileSize)-byte file can hold")
            }
            budget -= count
            tensors.append((key, tensor))
        }
        if tensors.isEmpty, !entries.isEmpty {
            let keys = entries.prefix(5).map { if case let .string(k) = $0.key { k } else { "?" } }
            throw FormatError.malformed("\(name): no tensors at the top level (keys \(keys)); save model.state_dict() itself")
        }
        return tensors
    }

    /// The first bytes of `data` in hex, for error messages.
    static func hexPrefix(_ data: Data) -> String {
        data.isEmpty ? "nothing (empty)" : data.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}
