import Foundation
import GlimpseFormats

/// One finished result kept in a JSON file (written atomically) together with the inputs it was computed from; a
/// later run reuses it only when the inputs are equal, so a killed run resumes and a changed config recomputes.
struct StoredRow<Inputs: Codable & Equatable, Value: Codable> {
    let url: URL

    private struct Stored: Codable {
        var inputs: Inputs
        var value: Value
    }

    /// The stored value when its inputs equal `inputs`, else `make()`'s value, stored before it is returned;
    /// `computed` is true when `make` ran.
    func value(for inputs: Inputs, _ make: () throws -> Value) throws -> (value: Value, computed: Bool) {
        if let data = try? Data(contentsOf: url), let stored = try? JSONDecoder().decode(Stored.self, from: data), stored.inputs == inputs {
            return (stored.value, false)
        }
        let value = try make()
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(Stored(inputs: inputs, value: value)), to: url)
        return (value, true)
    }
}
