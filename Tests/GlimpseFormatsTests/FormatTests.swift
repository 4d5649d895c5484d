import Foundation
import GlimpseFormats
import Testing

enum FormatFixtures {
    static let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    static func data(_ name: String) throws -> Data { try Data(contentsOf: folder.appendingPathComponent(name)) }

    static var cache: URL {
        if let env = ProcessInfo.processInfo.environment["GLIMPSE_CACHE"], !env.isEmpty { return URL(fileURLWithPath: env) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/glimpse")
    }
    static var shared: URL {
        if let env = ProcessInfo.processInfo.environment["GLIMPSE_SHARED"], !env.isEmpty { return URL(fileURLWithPath: env) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
    }
    static var lite: URL { cache.appendingPathComponent("efficientnet-lite0-57934424.pth") }
    static var resnet: URL { shared.appendingPathComponent("fixtures/resnet18_random.pth") }

    static func present(_ url: URL) -> Bool {
        if FileManager.default.fileExists(atPath: url.path) { return true }
        print("skipped: \(url.path) is missing (run scripts/setup.sh, or place ../shared beside the repo)")
        return false
    }

    static let tinyKeys = ["conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                           "bn1.num_batches_tracked", "conv2.weight", "conv2.bias", "fc.weight", "fc.bias"]
}

@Suite struct CheckpointTests {
    @Test func legacyAndZipCheckpointsAgree() throws {
        let legacy = try TorchCheckpoint.load(data: FormatFixtures.data("tiny_legacy.pth"))
        let zip = try TorchCheckpoint.load(data: FormatFixtures.data("tiny_zip.pth"))
        #expect(legacy.keys == FormatFixtures.tinyKeys)
        #expect(zip.keys == FormatFixtures.tinyKeys)
        for key in legacy.keys { #expect(legacy[key] == zip[key], "\(key)") }
        #expect(legacy["conv1.weight"]?.shape == [8, 1, 3, 3])
        #expect(legacy["fc.weight"]?.shape == [10, 16])
        let counter = try #require(legacy["bn1.num_batches_tracked"])
        #expect(counter.shape == [] && counter.scalarType == .int64 && counter.count == 1)
    }

    @Test(.enabled(if: FormatFixtures.present(FormatFixtures.lite)))
    func realEfficientNetCheckpoint() throws {
        let dict = try TorchCheckpoint.load(contentsOf: FormatFixtures.lite)
        #expect(dict.count == 296)
        #expect(dict["_conv_stem.weight"]?.shape == [32, 3, 3, 3])
        #expect(dict["_fc.weight"]?.shape == [1000, 1280])
    }

    @Test(.enabled(if: FormatFixtures.present(FormatFixtures.resnet)))
    func resnetZipCheckpoint() throws {
        let dict = try TorchCheckpoint.load(contentsOf: FormatFixtures.resnet)
        #expect(dict.count == 122)
        let floats = dict.keys.compactMap { dict[$0] }.filter { $0.scalarType == .float32 }.reduce(0) { $0 + $1.count }
        #expect(floats == 11_699_112)
    }

    @Test func shapeChecksAndMissingKeysNameTheKey() throws {
        let dict = try TorchCheckpoint.load(data: FormatFixtures.data("tiny_zip.pth"))
        #expect(throws: FormatError.shapeMismatch(key: "fc.weight", expected: [10, 15], found: [10, 16])) {
            try dict.tensor("fc.weight", shape: [10, 15])
        }
        #expect(throws: FormatError.missingKey("fc.nothing")) { try dict.tensor("fc.nothing", shape: [1]) }
    }

    @Test func badMagicAndUnknownGlobal() throws {
        #expect(throws: FormatError.self) { try TorchCheckpoint.load(data: Data("hello".utf8)) }
        // A pickle that asks for os.system: GLOBAL 'os\nsystem\n', then STOP.
        var evil: [UInt8] = [0x80, 0x02, 0x63] + Array("os\nsystem\n".utf8) + [0x2e]
        #expect(throws: FormatError.unknownGlobal("os.system")) { try TorchCheckpoint.load(data: Data(evil)) }
        evil = [0x80, 0x02, 0xff]
        #expect(throws: FormatError.unknownOpcode(0xff, offset: 2)) { try TorchCheckpoint.load(data: Data(evil)) }
    }

    @Test(arguments: ["tiny_legacy.pth", "tiny_zip.pth"])
    func everyTruncationIsATypedError(file: String) throws {
        let data = try FormatFixtures.data(file)
        for length in stride(from: 0, to: data.count, by: max(1, data.count / 400)) {
            #expect(throws: FormatError.self) { try TorchCheckpoint.load(data: data.prefix(length)) }
        }
    }

    @Test(arguments: ["tiny_legacy.pth", "tiny_zip.pth"])
    func randomCorruptionsNeverCrash(file: String) throws {
        let original = [UInt8](try FormatFixtures.data(file))
        var rng = SplitMix(seed: 2024)
        var failures = 0
        for _ in 0..<2000 {
            let corrupted = rng.corrupt(original)
            do { _ = try TorchCheckpoint.load(data: Data(corrupted)) } catch is FormatError { failures += 1 }
        }
        #expect(failures > 100, "corruptions should mostly be detected (\(failures) of 2000)")
    }
}

@Suite struct ArrayFileTests {
    @Test func npyRoundTripAndFixture() throws {
        let logits = try NPY.load(data: FormatFixtures.data("tiny_logits.npy"))
        #expect(logits.shape == [1, 10] && logits.scalarType == .float32)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-npy-\(getpid()).npy")
        defer { try? FileManager.default.removeItem(at: url) }
        try NPY.write(logits.values, shape: [2, 5], to: url)
        let back = try NPY.load(contentsOf: url)
        #expect(back.shape == [2, 5] && back.values == logits.values)
        let header = try Data(contentsOf: url).prefix(10 + 118)
        #expect((10 + Int(header[8]) + Int(header[9]) << 8) % 64 == 0, "header padded to 64 bytes as numpy writes it")
        #expect(throws: FormatError.self) { try NPY.write([1, 2, 3], shape: [2, 2], to: url) }
    }

    @Test func safetensorsRoundTrip() throws {
        let tiny = try TorchCheckpoint.load(data: FormatFixtures.data("tiny_zip.pth"))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-st-\(getpid()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Safetensors.write(tiny, metadata: ["epoch": "3"], to: url)
        let back = try Safetensors.load(contentsOf: url)
        #expect(back.keys == tiny.keys)
        for key in tiny.keys { #expect(back[key]?.values == tiny[key]?.values && back[key]?.shape == tiny[key]?.shape) }
    }

    @Test func corruptArrayFilesAreTypedErrors() throws {
        let npy = [UInt8](try FormatFixtures.data("tiny_input.npy"))
        let tiny = try TorchCheckpoint.load(data: FormatFixtures.data("tiny_zip.pth"))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-fz-\(getpid()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Safetensors.write(tiny, to: url)
        let st = [UInt8](try Data(contentsOf: url))
        var rng = SplitMix(seed: 99)
        for _ in 0..<2000 {
            do { _ = try NPY.load(data: Data(rng.corrupt(npy))) } catch is FormatError {}
            do { _ = try Safetensors.load(data: Data(rng.corrupt(st))) } catch is FormatError {}
        }
        for length in stride(from: 0, to: npy.count, by: 37) {
            #expect(throws: FormatError.self) { try NPY.load(data: Data(npy.prefix(length))) }
        }
        #expect(throws: FormatError.self) { try Safetensors.load(data: Data(st.prefix(st.count - 1))) }
    }
}

/// Small seeded generator for corruption tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }

    /// Truncates, flips bytes or inserts bytes at random.
    mutating func corrupt(_ bytes: [UInt8]) -> [UInt8] {
        var b = bytes
        switch below(3) {
        case 0: b = Array(b.prefix(below(b.count)))
        case 1: for _ in 0...below(4) where !b.isEmpty { b[below(b.count)] ^= UInt8(1 + below(255)) }
        default: for _ in 0...below(4) { b.insert(UInt8(below(256)), at: below(b.count + 1)) }
        }
        return b
    }
}
