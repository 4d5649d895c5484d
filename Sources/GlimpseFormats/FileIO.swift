import Foundation

/// File access with errors mapped to `FormatError.io`.
enum FileIO {
    /// The contents of `url`, memory-mapped when possible.
    static func read(_ url: URL) throws -> Data {
        do { return try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw FormatError.io(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Writes `data` to a temporary file in the folder of `url`, then renames it over `url`,
    /// so that readers see either the old file or the complete new one.
    static func writeAtomically(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw FormatError.io(path: url.path, reason: String(cString: strerror(errno)))
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error as? FormatError ?? FormatError.io(path: url.path, reason: error.localizedDescription)
        }
    }
}

/// Atomic writes for other modules' files (JSON records, arrays): temporary file in the same folder, then rename.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws { try FileIO.writeAtomically(data, to: url) }
}
