import Foundation
import GlimpseFormats

/// Finished rows of a `DefenseEvaluation`, one JSON file each (written atomically) in a folder, so that a killed run
/// resumes where it stopped. A stored row is reused only when it was measured with the same settings, the same
/// calibrated thresholds and the same attacked images (their labels stand for them).
struct RowStore {
    let folder: URL?
    let settings: DefenseEvaluation.Settings
    let thresholds: [Float]
    let labels: [Int]
    /// Told the key of each row that `row` measures (not of the rows it reuses).
    var computed: (String) -> Void = { _ in }

    private struct Stored: Codable {
        var settings: DefenseEvaluation.Settings
        var thresholds: [Float]
        var labels: [Int]
        var row: DefenseRow
    }

    /// The stored row `key` when it matches, else `make()`'s row, stored before it is returned.
    func row(_ key: String, _ make: () throws -> DefenseRow) throws -> DefenseRow {
        guard let folder else { return try make() }
        let url = folder.appendingPathComponent(key + ".json")
        if let data = try? Data(contentsOf: url), let stored = try? JSONDecoder().decode(Stored.self, from: data),
           stored.settings == settings, stored.thresholds == thresholds, stored.labels == labels {
            return stored.row
        }
        let row = try make()
        computed(key)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try AtomicFile.write(JSONEncoder().encode(Stored(settings: settings, thresholds: thresholds, labels: labels, row: row)), to: url)
        return row
    }
}
