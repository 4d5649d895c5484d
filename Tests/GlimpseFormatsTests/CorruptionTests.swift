import Foundation
import GlimpseFormats
import Testing

/// Corrupt input must give a `FormatError`, never a crash or another error type.
@Suite struct CorruptionTests {
    /// The bytes of a fixture; "tiny.safetensors" is written from the tiny checkpoint with metadata.
    static func original(_ name: String) throws -> [UInt8] {
        guard name == "tiny.safetensors" else { return [UInt8](try Fixtures.data(name)) }
        let url = Fixtures.temporaryFile(".safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Safetensors.write(try TorchCheckpoint.load(data: try Fixtures.data("tiny_legacy.pth")), metadata: ["epoch": "3"], to: url)
        return [UInt8](try Data(contentsOf: url))
    }

    /// The loader for a fixture, by file extension, taking the (possibly corrupt) bytes of the file.
    static func loader(_ name: String) -> (Data) throws -> Void {
        if name.hasSuffix(".npy") { return { _ = try NPY.load(data: $0) } }
        if name.hasSuffix(".safetensors") { return { _ = try Safetensors.load(data: $0) } }
        return { _ = try TorchCheckpoint.load(data: $0) }
    }

    @Test(arguments: ["tiny_legacy.pth", "tiny_zip.pth", "tiny_input.npy", "tiny.safetensors"])
    func everyTruncationThrowsFormatError(name: String) throws {
        let bytes = try Self.original(name)
        let load = Self.loader(name)
        try load(Data(bytes))
        var loaded: [Int] = [], wrongErrors: [String] = []
        for length in 0..<bytes.count {
            do { try load(Data(bytes.prefix(length))); loaded.append(length) } catch is FormatError {} catch {
                wrongErrors.append("\(length): \(error)")
            }
        }
        #expect(loaded.isEmpty, "\(name) truncated to these lengths still loaded: \(loaded.prefix(10))")
        #expect(wrongErrors.isEmpty, "\(name): errors other than FormatError: \(wrongErrors.prefix(5))")
    }

    /// Every byte inverted in turn (every 8th for the zip, whose in-memory loads go through a temporary file).
    @Test(arguments: ["tiny_legacy.pth", "tiny_zip.pth", "tiny_input.npy", "tiny.safetensors"])
    func singleByteFlipsLoadOrThrowFormatError(name: String) throws {
        let bytes = try Self.original(name)
        let load = Self.loader(name)
        var failures: [String] = []
        for index in stride(from: 0, to: bytes.count, by: name.hasSuffix("zip.pth") ? 8 : 1) {
            var corrupt = bytes
            corrupt[index] ^= 0xFF
            if let failure = loadsOrThrowsFormatError({ try load(Data(corrupt)) }) { failures.append("byte \(index): \(failure)") }
        }
        #expect(failures.isEmpty, "\(name): \(failures.prefix(5))")
    }

    @Test(arguments: zip(["tiny_legacy.pth", "tiny_zip.pth", "tiny_input.npy", "tiny.safetensors"], [1, 2, 3, 4] as [UInt64]))
    func seededRandomCorruptionsLoadOrThrowFormatError(name: String, seed: UInt64) throws {
        let bytes = try Self.original(name)
        let load = Self.loader(name)
        var rng = SplitMix64(seed: 0x5EED_0000 + seed)
        var failures: [String] = [], rejected = 0
        for trial in 0..<2000 {
            let corrupt = rng.corrupt(bytes)
            do { try load(Data(corrupt)) } catch is FormatError { rejected += 1 } catch {
                failures.append("trial \(trial): \(type(of: error)) \(error)")
            }
        }
        #expect(failures.isEmpty, "\(name): \(failures.prefix(5))")
        #expect(rejected > 500, "\(name): only \(rejected) of 2000 corruptions were detected")
    }

    @Test func wrongMagicNumbers() throws {
        #expect(throws: FormatError.badMagic(what: "PyTorch checkpoint (x.pth)", found: "68 65 6c 6c 6f")) {
            try TorchCheckpoint.load(data: Data("hello".utf8), name: "x.pth")
        }
        #expect(throws: FormatError.self) { try TorchCheckpoint.load(data: Data()) }
        #expect(throws: FormatError.self) { try TorchCheckpoint.load(contentsOf: URL(fileURLWithPath: "/nonexistent/x.pth")) }
        var npy = try Fixtures.data("tiny_input.npy")
        npy[1] = 0x6E  // "nUMPY"
        #expect(throws: FormatError.badMagic(what: "npy", found: "93 6e 55 4d 50 59")) { try NPY.load(data: npy) }
        // A legacy stream whose first pickle is not the magic number.
        var pickle = PickleWriter()
        pickle.int(7)
        pickle.op(0x2E)
        #expect(throws: FormatError.self) { try TorchCheckpoint.load(data: Data(pickle.bytes)) }
        // A safetensors header that is not JSON.
        let st = PickleWriter.le64(4) + Array("nope".utf8)
        #expect(throws: FormatError.self) { try Safetensors.load(data: Data(st)) }
    }

    @Test func unknownGlobalsAreRefusedByName() throws {
        var evil = PickleWriter()
        evil.global("os", "system")
        evil.string("echo hi")
        evil.op(0x85)  // TUPLE1
        evil.op(0x52)  // REDUCE
        evil.op(0x2E)
        #expect(throws: FormatError.unknownGlobal("os.system")) { try TorchCheckpoint.load(data: Data(evil.bytes)) }
        #expect(FormatError.unknownGlobal("os.system").description.contains("os.system"))

        // Inside a legacy checkpoint: an unsupported storage type.
        let tensor = CraftedTensor(storageType: "ComplexFloatStorage", storageKey: "0", numel: 1, size: [1], stride: [1])
        let data = PickleWriter.legacyCheckpoint([("w", tensor)], storages: [("0", 1, [0, 0, 0, 0])])
        #expect(throws: FormatError.unknownGlobal("torch.ComplexFloatStorage")) { try TorchCheckpoint.load(data: data) }
    }

    @Test func unknownOpcodesAreReportedWithTheirPosition() throws {
        #expect(throws: FormatError.unknownOpcode(0xFF, offset: 2)) { try TorchCheckpoint.load(data: Data([0x80, 0x02, 0xFF])) }
        // INST (0x69) in the state-dict pickle of a legacy checkpoint, reported at its offset in the file.
        let valid = PickleWriter.legacyCheckpoint([], storages: [])
        var bytes = [UInt8](valid)
        let stateDict = try #require(bytes.firstRange(of: Array("collections\nOrderedDict".utf8))).lowerBound - 1
        bytes.insert(0x69, at: stateDict)
        #expect(throws: FormatError.unknownOpcode(0x69, offset: stateDict)) { try TorchCheckpoint.load(data: Data(bytes)) }
        #expect(FormatError.unknownOpcode(0x69, offset: 12).description == "unsupported pickle opcode 0x69 at byte 12")
    }

    @Test func outOfRangeZip64RecordIsRejected() throws {
        var bytes = [UInt8](try Fixtures.data("tiny_zip.pth"))
        let record = try #require(bytes.ranges(of: [0x50, 0x4B, 0x06, 0x06]).last).lowerBound
        bytes[record + 48 + 7] = 0x80  // central directory offset beyond Int64.max
        #expect(throws: FormatError.self) { try TorchCheckpoint.load(data: Data(bytes)) }
    }

    @Test func malformedSafetensorsOffsets() throws {
        func file(_ json: String, payload: Int) -> Data {
            var header = Array(json.utf8)
            header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
            return Data(PickleWriter.le64(header.count) + header + [UInt8](repeating: 0, count: payload))
        }
        #expect(throws: FormatError.truncated(what: "safetensors tensor 'w'", needed: 16, available: 8)) {
            try Safetensors.load(data: file(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, payload: 8))
        }
        #expect(throws: FormatError.self) {
            try Safetensors.load(data: file(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[4,0]}}"#, payload: 16))
        }
        #expect(throws: FormatError.self) {
            try Safetensors.load(data: file(#"{"w":{"dtype":"F32","shape":[9223372036854775807,2],"data_offsets":[0,8]}}"#, payload: 8))
        }
        #expect(throws: FormatError.malformed("safetensors tensors 'a' and 'b' overlap")) {
            try Safetensors.load(data: file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}"#, payload: 8))
        }
        #expect(throws: FormatError.unsupported("safetensors dtype 'C64' of 'w'")) {
            try Safetensors.load(data: file(#"{"w":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}"#, payload: 8))
        }
        #expect(throws: FormatError.truncated(what: "safetensors header at byte 8", needed: Int.max, available: 0)) {
            try Safetensors.load(data: Data(PickleWriter.le64(-1)))
        }
    }
}
