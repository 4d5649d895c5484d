import Foundation
import ZIPFoundation

extension TorchCheckpoint {
    /// Zip format: entries under one folder `<prefix>/` (named after the file stem when saved; taken from the first
    /// entry here): `<prefix>/data.pkl` is the state-dict pickle, `<prefix>/data/<key>` the raw little-endian storages.
    /// `file` (of `size` bytes) must have passed `ZipPreflight.check`.
    static func loadZip(file: URL, size: Int, name: String) throws -> StateDict {
        let archive: Archive
        do { archive = try Archive(url: file, accessMode: .read) } catch {
            throw FormatError.corruptArchive("\(name): \(error)")
        }
        var entries: [String: Entry] = [:]
        var prefix: String?
        for entry in archive {
            if prefix == nil {
                guard let slash = entry.path.firstIndex(of: "/") else {
                    throw FormatError.corruptArchive("\(name): first entry '\(entry.path)' is not inside a folder")
                }
                prefix = String(entry.path[..<slash])
            }
            if entries[entry.path] == nil { entries[entry.path] = entry }
        }
        guard let prefix else { throw FormatError.corruptArchive("\(name): no entries") }
        let reader = ZipEntryReader(archive: archive, entries: entries, archiveSize: size, name: name)
        if let order = try reader.bytesIfPresent("\(prefix)/byteorder"), order != Array("little".utf8) {
            throw FormatError.unsupported("\(name): byte order '\(String(decoding: order, as: UTF8.self))'")
        }
        guard let pickle = try reader.bytesIfPresent("\(prefix)/data.pkl") else {
            throw FormatError.malformed("\(name): no '\(prefix)/data.pkl' in the archive")
        }
        var unpickler = Unpickler(pickle, what: "\(name) data.pkl")
        let root = try unpickler.load()
        let tensors = try stateDictTensors(root, of: unpickler, fileSize: size, name: name)
        var storages: [String: [UInt8]] = [:]
        var dict = StateDict()
        for (key, tensor) in tensors {
            let storageKey = tensor.storage.key
            let bytes: [UInt8]
            if let cached = storages[storageKey] { bytes = cached } else {
                guard let read = try reader.bytesIfPresent("\(prefix)/data/\(storageKey)") else {
                    throw FormatError.malformed("\(name): storage '\(prefix)/data/\(storageKey)' of tensor '\(key)' is missing")
                }
                bytes = read
                storages[storageKey] = read
            }
            dict.set(key, try bytes.withUnsafeBytes { try tensor.materialise(from: $0, name: key) })
        }
        return dict
    }
}

/// Reads whole entries of an archive, wrapping ZIPFoundation's errors into `FormatError`.
private struct ZipEntryReader {
    let archive: Archive
    let entries: [String: Entry]
    let archiveSize: Int
    let name: String

    /// Largest plausible uncompressed size of an entry: the archive size times the best deflate ratio (~1032).
    private var limit: Int {
        let (limit, overflow) = archiveSize.multipliedReportingOverflow(by: 1032)
        return overflow ? .max : limit
    }

    /// The uncompressed bytes of entry `path`, or nil if the archive has no such entry.
    func bytesIfPresent(_ path: String) throws -> [UInt8]? {
        guard let entry = entries[path] else { return nil }
        guard entry.type == .file else { throw FormatError.corruptArchive("\(name): '\(path)' is not a file") }
        guard entry.uncompressedSize <= UInt64(limit) else {
            throw FormatError.corruptArchive("\(name): '\(path)' claims \(entry.uncompressedSize) bytes, impossible in this archive")
        }
        let size = Int(entry.uncompressedSize)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(size, archiveSize))
        do {
            _ = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: false) { chunk in
                guard chunk.count <= size - bytes.count else {
                    throw FormatError.corruptArchive("\(name): '\(path)' holds more than its declared \(size) bytes")
                }
                bytes.append(contentsOf: chunk)
            }
        } catch let error as FormatError {
            throw error
        } catch {
            throw FormatError.corruptArchive("\(name): cannot extract '\(path)': \(error)")
        }
        guard bytes.count == size else {
            throw FormatError.truncated(what: "\(name) entry '\(path)'", needed: size, available: bytes.count)
        }
        return bytes
    }
}

/// Checks the zip structures ZIPFoundation trusts without checking: it converts 64-bit offsets and sizes to
/// `off_t`/`Int64` and adds them up, which traps on values a corrupt ZIP64 record or extra field can hold.
/// ZIP64 entries (per-entry sizes or offsets of 0xFFFFFFFF) are therefore refused; checkpoints that small never need them.
enum ZipPreflight {
    private static let eocdSignature: UInt32 = 0x0605_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    private static let zip64RecordSignature: UInt32 = 0x0606_4B50
    private static let centralEntrySignature: UInt32 = 0x0201_4B50

    static func check(_ data: Data, name: String) throws {
        try data.withUnsafeBytes { try check(Bytes(raw: $0), name: name) }
    }

    private static func check(_ bytes: Bytes, name: String) throws {
        let fileSize = UInt64(bytes.raw.count)
        // The end-of-central-directory record, searched backwards from the end as ZIPFoundation does.
        guard let eocd = stride(from: bytes.raw.count - 22, through: 0, by: -1).first(where: { bytes.u32($0) == eocdSignature }),
              let entries16 = bytes.u16(eocd + 10), let offset32 = bytes.u32(eocd + 16) else {
            throw FormatError.corruptArchive("\(name): no end-of-central-directory record")
        }
        var entryCount = UInt64(entries16), directory = UInt64(offset32)
        // A ZIP64 record right before its locator right before the record above overrides the counts and offset.
        let record = eocd - 20 - 56
        if record > 0, bytes.u32(eocd - 20) == zip64LocatorSignature, bytes.u32(record) == zip64RecordSignature,
           let version = bytes.u16(record + 14), version >= 45, let count = bytes.u64(record + 32),
           let directorySize = bytes.u64(record + 40), let offset = bytes.u64(record + 48) {
            guard count <= fileSize, directorySize <= fileSize, offset <= fileSize else {
                throw FormatError.corruptArchive("\(name): ZIP64 directory record out of range (\(count) entries, offset \(offset))")
            }
            entryCount = count
            directory = offset
        }
        var position = Int(directory)
        for _ in 0..<entryCount {
            guard bytes.u32(position) == centralEntrySignature, let compressed = bytes.u32(position + 20),
                  let uncompressed = bytes.u32(position + 24), let nameLength = bytes.u16(position + 28),
                  let extraLength = bytes.u16(position + 30), let commentLength = bytes.u16(position + 32),
                  let localOffset = bytes.u32(position + 42) else { return }  // ZIPFoundation stops here too
            guard compressed != .max, uncompressed != .max, localOffset != .max else {
                throw FormatError.unsupported("\(name): ZIP64 archive entries")
            }
            position += 46 + Int(nameLength) + Int(extraLength) + Int(commentLength)
        }
    }

    /// Bounds-checked little-endian reads.
    private struct Bytes {
        let raw: UnsafeRawBufferPointer

        private func value<T: FixedWidthInteger>(_ offset: Int, as _: T.Type) -> T? {
            guard offset >= 0, offset <= raw.count - MemoryLayout<T>.size else { return nil }
            return T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
        }

        func u16(_ offset: Int) -> UInt16? { value(offset, as: UInt16.self) }
        func u32(_ offset: Int) -> UInt32? { value(offset, as: UInt32.self) }
        func u64(_ offset: Int) -> UInt64? { value(offset, as: UInt64.self) }
    }
}
