import Foundation
import ZIPFoundation

/// PyTorch `.pth` state dicts: the zip format of `torch.save` (torch ≥ 1.6) and the legacy format before it.
public enum TorchCheckpoint {
    /// Reads a state dict from a file.
    public static func load(contentsOf url: URL) throws -> StateDict {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FormatError.io(path: url.path, reason: (error as NSError).localizedDescription)
        }
        if isZip(data) { return try loadZip(url, size: data.count, name: url.lastPathComponent) }
        return try load(data: data, name: url.lastPathComponent)
    }

    /// Reads a state dict from the bytes of a `.pth` file; the format is detected from its first bytes.
    public static func load(data: Data, name: String = "checkpoint") throws -> StateDict {
        if isZip(data) {
            // ZIPFoundation's in-memory archives trap on some corrupt inputs; its file-backed reader does not.
            let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).pth")
            defer { try? FileManager.default.removeItem(at: tmp) }
            do { try data.write(to: tmp) } catch { throw FormatError.io(path: tmp.path, reason: (error as NSError).localizedDescription) }
            return try loadZip(tmp, size: data.count, name: name)
        }
        let bytes = [UInt8](data)
        if bytes.first == 0x80 { return try loadLegacy(bytes, name: name) }
        throw FormatError.badMagic("PyTorch checkpoint (\(name))")
    }

    private static func isZip(_ data: Data) -> Bool { data.starts(with: [0x50, 0x4b, 0x03, 0x04]) }

    /// Legacy format: magic-number, protocol and sys-info pickles, the state-dict pickle, the pickled list of
    /// storage keys, then per key an int64 element count and the raw little-endian elements.
    static func loadLegacy(_ bytes: [UInt8], name: String) throws -> StateDict {
        var machine = PickleMachine(bytes, what: name)
        guard case .magic = try machine.load() else { throw FormatError.badMagic("PyTorch legacy checkpoint (\(name))") }
        guard case .int(1001) = try machine.load() else { throw FormatError.badMagic("PyTorch legacy checkpoint (\(name)): protocol") }
        _ = try machine.load()                              // sys info
        let root = try machine.load()
        var refs: [String: StorageRef] = [:]
        collectStorages(root, into: &refs)
        guard let keys = try machine.load().items?.compactMap(\.string) else {
            throw FormatError.malformed("\(name): storage key list missing")
        }
        var reader = machine.reader
        reader = ByteReader(reader.bytes, what: name, position: reader.position)
        var storages: [String: [UInt8]] = [:]
        for key in keys {
            guard let ref = refs[key] else { throw FormatError.malformed("\(name): storage '\(key)' is not used by any tensor") }
            let count = try reader.int64()
            guard count >= 0, count >= Int64(ref.count), count <= Int64(reader.remaining / ref.type.size) else {
                throw FormatError.truncated("storage '\(key)' of \(name)", needed: Int(clamping: count) * ref.type.size, available: reader.remaining)
            }
            storages[key] = Array(try reader.take(Int(count) * ref.type.size))
        }
        return try StateDictBuilder.build(root) { ref in
            guard let b = storages[ref.key] else { throw FormatError.malformed("\(name): storage '\(ref.key)' missing") }
            return b
        }
    }

    /// Zip format: `<prefix>/data.pkl` with storages in `<prefix>/data/<key>`.
    static func loadZip(_ url: URL, size: Int, name: String) throws -> StateDict {
        let archive: Archive
        do { archive = try Archive(url: url, accessMode: .read) } catch {
            throw FormatError.malformed("\(name): unreadable zip archive (\(error))")
        }
        guard let first = archive.makeIterator().next(), let slash = first.path.firstIndex(of: "/") else {
            throw FormatError.malformed("\(name): empty zip archive")
        }
        let prefix = String(first.path[..<slash])
        func read(_ path: String) throws -> [UInt8] {
            guard let entry = archive[path] else { throw FormatError.malformed("\(name): zip entry '\(path)' missing") }
            guard entry.uncompressedSize <= UInt64(max(size, 0)) * 1032 else {
                throw FormatError.malformed("\(name): zip entry '\(path)' claims an impossible size")
            }
            var out: [UInt8] = []
            do { _ = try archive.extract(entry) { out.append(contentsOf: $0) } } catch {
                throw FormatError.malformed("\(name): zip entry '\(path)' is corrupt (\(error))")
            }
            return out
        }
        var machine = PickleMachine(try read("\(prefix)/data.pkl"), what: "\(name) data.pkl")
        let root = try machine.load()
        return try StateDictBuilder.build(root) { ref in
            let bytes = try read("\(prefix)/data/\(ref.key)")
            guard bytes.count >= ref.count * ref.type.size else {
                throw FormatError.truncated("storage '\(ref.key)' of \(name)", needed: ref.count * ref.type.size, available: bytes.count)
            }
            return bytes
        }
    }

    private static func collectStorages(_ value: PickleValue, into refs: inout [String: StorageRef]) {
        switch value {
        case let .dict(items): for (_, v) in items { collectStorages(v, into: &refs) }
        case let .tensor(t): refs[t.storage.key] = t.storage
        case let .storage(s): refs[s.key] = s
        case let .tuple(v), let .list(v): for x in v { collectStorages(x, into: &refs) }
        default: break
        }
    }
}
