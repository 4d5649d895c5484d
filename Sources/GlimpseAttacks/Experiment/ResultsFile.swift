import Foundation
import GlimpseFormats

/// A JSON-lines file of `AttackRecord`s. Each append rewrites the file atomically (temporary file, then rename), so
/// a killed run leaves either the old or the new file, never a torn line, and resumes from what is there.
public struct ResultsFile {
    public let url: URL
    public private(set) var records: [AttackRecord]

    /// Opens (or starts) the file; throws on a line that is not a record.
    public init(url: URL) throws {
        self.url = url
        records = FileManager.default.fileExists(atPath: url.path) ? try Self.read(url) : []
    }

    /// Appends one record and writes the file atomically.
    public mutating func append(_ record: AttackRecord) throws {
        records.append(record)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = Data()
        for r in records {
            data.append(try encoder.encode(r))
            data.append(0x0A)
        }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(data, to: url)
    }

    /// The records of a JSON-lines file.
    public static func read(_ url: URL) throws -> [AttackRecord] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw AttackError.badInput("cannot read results \(url.path): \(error.localizedDescription)")
        }
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").enumerated().map { i, line in
            do { return try decoder.decode(AttackRecord.self, from: Data(line.utf8)) } catch {
                throw AttackError.badInput("\(url.lastPathComponent) line \(i + 1) is not an attack record")
            }
        }
    }
}
