import Foundation
import GlimpseFormats
import Testing

/// Locations of the test inputs.
enum Fixtures {
    /// The bundled fixture folder (tiny checkpoints and arrays).
    static var folder: URL {
        get throws { try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)) }
    }

    static func data(_ name: String) throws -> Data { try Data(contentsOf: try folder.appendingPathComponent(name)) }

    /// `../shared` beside the package root (…/Tests/GlimpseFormatsTests/this file: three levels up), or `$GLIMPSE_SHARED`.
    static var shared: URL {
        if let path = ProcessInfo.processInfo.environment["GLIMPSE_SHARED"], !path.isEmpty { return URL(fileURLWithPath: path) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared")
    }

    /// `$GLIMPSE_CACHE`, by default `~/.cache/glimpse`.
    static var cache: URL {
        if let path = ProcessInfo.processInfo.environment["GLIMPSE_CACHE"], !path.isEmpty { return URL(fileURLWithPath: path) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/glimpse")
    }

    static var resnet: URL { shared.appendingPathComponent("fixtures/resnet18_random.pth") }
    static var efficientNet: URL { cache.appendingPathComponent("efficientnet-lite0-57934424.pth") }

    /// Whether `url` exists; prints why a test is skipped when it does not.
    static func present(_ url: URL) -> Bool {
        if FileManager.default.fileExists(atPath: url.path) { return true }
        print("skipped: \(url.path) missing (set GLIMPSE_SHARED / GLIMPSE_CACHE to run this test)")
        return false
    }

    /// A fresh path in the temporary folder.
    static func temporaryFile(_ suffix: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-formats-test-\(UUID().uuidString)\(suffix)")
    }

    /// Keys of the tiny CNN's state dict in file order.
    static let tinyKeys = [
        "conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
        "bn1.num_batches_tracked", "conv2.weight", "conv2.bias", "fc.weight", "fc.bias",
    ]
}

/// SplitMix64: a tiny seeded generator, so that the corruption tests are reproducible.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n (n > 0).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// `bytes` truncated, with 1-4 bytes changed, or with 1-4 random bytes inserted.
    mutating func corrupt(_ bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        switch below(3) {
        case 0:
            out.removeLast(1 + below(out.count))
        case 1:
            for _ in 0...below(4) { out[below(out.count)] ^= UInt8(1 + below(255)) }
        default:
            for _ in 0...below(4) { out.insert(UInt8(below(256)), at: below(out.count + 1)) }
        }
        return out
    }
}

/// Builds protocol-2 pickles and legacy (non-zip) torch checkpoints byte by byte, to test cases no fixture covers.
struct PickleWriter {
    private(set) var bytes: [UInt8] = [0x80, 0x02]  // PROTO 2

    mutating func op(_ code: UInt8) { bytes.append(code) }
    mutating func global(_ module: String, _ name: String) { bytes += [0x63] + Array("\(module)\n\(name)\n".utf8) }
    mutating func string(_ text: String) { bytes += [0x58] + Self.le32(text.utf8.count) + Array(text.utf8) }
    mutating func int(_ value: Int) { bytes += [0x4A] + Self.le32(value) }
    mutating func ints(_ values: [Int]) { op(0x28); values.forEach { int($0) }; op(0x74) }  // MARK … TUPLE

    /// `collections.OrderedDict()`.
    mutating func emptyOrderedDict() { global("collections", "OrderedDict"); op(0x29); op(0x52) }

    /// `_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())` on a persistent storage id.
    mutating func tensor(_ t: CraftedTensor, legacy: Bool) {
        global("torch._utils", "_rebuild_tensor_v2")
        op(0x28)
        op(0x28); string("storage"); global("torch", t.storageType); string(t.storageKey); string("cpu"); int(t.numel)
        if legacy { op(0x4E) }
        op(0x74); op(0x51)  // TUPLE, BINPERSID
        int(t.offset); ints(t.size); ints(t.stride); op(0x89); emptyOrderedDict()
        op(0x74); op(0x52)
    }

    static func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func le64(_ v: Int) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

    /// A legacy checkpoint: magic, protocol, sys info, the state dict, the key list, then the storages.
    /// `parameterKeys` are wrapped in `_rebuild_parameter`; the dict gets a `_metadata` BUILD like torch writes.
    static func legacyCheckpoint(_ tensors: [(key: String, tensor: CraftedTensor)], storages: [(key: String, numel: Int, bytes: [UInt8])],
                                 parameterKeys: Set<String> = []) -> Data {
        var dict = PickleWriter()
        dict.emptyOrderedDict()
        dict.op(0x28)
        for (key, tensor) in tensors {
            dict.string(key)
            if parameterKeys.contains(key) { dict.global("torch._utils", "_rebuild_parameter"); dict.op(0x28) }
            dict.tensor(tensor, legacy: true)
            if parameterKeys.contains(key) { dict.op(0x88); dict.emptyOrderedDict(); dict.op(0x74); dict.op(0x52) }
        }
        dict.op(0x75)  // SETITEMS
        // BUILD with state {'_metadata': OrderedDict()}: ignored by the reader.
        dict.op(0x7D); dict.string("_metadata"); dict.emptyOrderedDict(); dict.op(0x73); dict.op(0x62); dict.op(0x2E)
        return legacyCheckpoint(stateDict: dict.bytes, storages: storages)
    }

    /// A legacy checkpoint around the state-dict pickle `stateDict`.
    static func legacyCheckpoint(stateDict: [UInt8], storages: [(key: String, numel: Int, bytes: [UInt8])]) -> Data {
        var out: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
        out += [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E]  // 1001
        var info = PickleWriter()
        info.op(0x7D); info.op(0x28); info.string("little_endian"); info.op(0x88); info.op(0x75); info.op(0x2E)
        var keys = PickleWriter()
        keys.op(0x5D); keys.op(0x28); storages.forEach { keys.string($0.key) }; keys.op(0x65); keys.op(0x2E)
        out += info.bytes + stateDict + keys.bytes
        for storage in storages { out += le64(storage.numel) + storage.bytes }
        return Data(out)
    }
}

/// A tensor entry of a crafted checkpoint.
struct CraftedTensor {
    var storageType = "FloatStorage"
    var storageKey: String
    var numel: Int
    var offset = 0
    var size: [Int]
    var stride: [Int]
}

/// Little-endian bytes of float32 values.
func floatBytes(_ values: [Float]) -> [UInt8] { values.flatMap { PickleWriter.le32(Int($0.bitPattern)) } }

/// Outcome of loading possibly corrupt input: it must load or throw `FormatError`, anything else is a failure.
func loadsOrThrowsFormatError(_ load: () throws -> Void) -> String? {
    do { try load() } catch is FormatError {} catch { return "\(type(of: error)): \(error)" }
    return nil
}
