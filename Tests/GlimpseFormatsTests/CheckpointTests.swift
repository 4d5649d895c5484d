import Foundation
import GlimpseFormats
import Testing

@Suite struct CheckpointTests {
    @Test func tinyLegacyAndZipCheckpointsHoldTheSameTensors() throws {
        let legacy = try TorchCheckpoint.load(contentsOf: try Fixtures.folder.appendingPathComponent("tiny_legacy.pth"))
        let zip = try TorchCheckpoint.load(data: try Fixtures.data("tiny_zip.pth"), name: "tiny_zip.pth")
        #expect(legacy.keys == Fixtures.tinyKeys)
        #expect(zip.keys == Fixtures.tinyKeys)
        for key in Fixtures.tinyKeys { #expect(legacy[key] == zip[key], "\(key)") }

        let shapes: [String: [Int]] = [
            "conv1.weight": [8, 1, 3, 3], "conv1.bias": [8], "bn1.weight": [8], "bn1.bias": [8], "bn1.running_mean": [8],
            "bn1.running_var": [8], "bn1.num_batches_tracked": [], "conv2.weight": [16, 8, 3, 3], "conv2.bias": [16],
            "fc.weight": [10, 16], "fc.bias": [10],
        ]
        for (key, shape) in shapes {
            let tensor = try zip.tensor(key, shape: shape)
            #expect(tensor.values.count == tensor.count, "\(key)")
        }
        let counter = try #require(legacy["bn1.num_batches_tracked"])
        #expect(counter.shape == [] && counter.scalarType == .int64 && counter.count == 1 && counter.values == [0])
        let conv1 = try #require(zip["conv1.weight"])
        #expect(conv1.scalarType == .float32)
        #expect(Array(conv1.values.prefix(3)) == [-0.7191728353500366, -0.3536626696586609, -0.3082895576953888])
    }

    @Test(.enabled(if: Fixtures.present(Fixtures.resnet), "needs ../shared/fixtures/resnet18_random.pth"))
    func resnet18ZipCheckpoint() throws {
        let dict = try TorchCheckpoint.load(contentsOf: Fixtures.resnet)
        #expect(dict.count == 122)
        let floats = dict.keys.compactMap { dict[$0] }.filter { $0.scalarType == .float32 }
        #expect(floats.reduce(0) { $0 + $1.count } == 11_699_112)
        #expect(dict.keys.filter { $0.hasSuffix("num_batches_tracked") }.count == 20)
        #expect(try dict.tensor("conv1.weight", shape: [64, 3, 7, 7]).values.count == 9408)
        #expect(try dict.tensor("fc.weight", shape: [1000, 512]).values.count == 512_000)
    }

    @Test(.enabled(if: Fixtures.present(Fixtures.efficientNet), "needs $GLIMPSE_CACHE/efficientnet-lite0-57934424.pth"))
    func efficientNetLite0LegacyCheckpoint() throws {
        let dict = try TorchCheckpoint.load(contentsOf: Fixtures.efficientNet)
        #expect(dict.count == 296)
        #expect(dict["_conv_stem.weight"]?.shape == [32, 3, 3, 3])
        #expect(dict["_fc.weight"]?.shape == [1000, 1280])
        #expect(dict["_fc.weight"]?.values.allSatisfy(\.isFinite) == true)
    }

    @Test func stridedViewsWithOffsetsAreMaterialisedInCOrder() throws {
        let storage: [Float] = [0, 1, 2, 3, 4, 5, 6, 7]
        // t: the transpose of storage[1...6] seen as 2x3, i.e. shape [3, 2], stride [1, 3], offset 1.
        let transposed = CraftedTensor(storageKey: "0", numel: 8, offset: 1, size: [3, 2], stride: [1, 3])
        // Every other element from offset 2: [2, 4, 6].
        let strided = CraftedTensor(storageKey: "0", numel: 8, offset: 2, size: [3], stride: [2])
        let scalar = CraftedTensor(storageKey: "0", numel: 8, offset: 7, size: [], stride: [])
        let data = PickleWriter.legacyCheckpoint(
            [("t", transposed), ("s", strided), ("c", scalar)],
            storages: [("0", 8, floatBytes(storage))], parameterKeys: ["t"])
        let dict = try TorchCheckpoint.load(data: data)
        #expect(dict.keys == ["t", "s", "c"])
        #expect(dict["t"] == StoredTensor(shape: [3, 2], values: [1, 4, 2, 5, 3, 6]))
        #expect(dict["s"] == StoredTensor(shape: [3], values: [2, 4, 6]))
        #expect(dict["c"] == StoredTensor(shape: [], values: [7]))
    }

    @Test func protocol4OpcodesAreUnderstood() throws {
        func short(_ text: String) -> [UInt8] { [0x8C, UInt8(text.utf8.count)] + Array(text.utf8) }  // SHORT_BINUNICODE
        let memoize: UInt8 = 0x94, stackGlobal: UInt8 = 0x93
        var body: [UInt8] = short("collections") + [memoize] + short("OrderedDict") + [memoize, stackGlobal, memoize]  // memo 2
        body += [0x29, 0x52, memoize]                                                        // OrderedDict()
        body += [0x8D] + PickleWriter.le64(1) + Array("w".utf8) + [memoize]                  // BINUNICODE8 key
        body += short("torch._utils") + short("_rebuild_tensor_v2") + [stackGlobal, 0x28]
        body += [0x28] + short("storage") + short("torch") + short("FloatStorage") + [stackGlobal]
        body += short("0") + short("cpu") + [0x4B, 2, 0x4E, 0x74, 0x51]                      // numel 2, None; BINPERSID
        body += [0x4B, 0, 0x4B, 2, 0x85, 0x4B, 1, 0x85, 0x89, 0x68, 2, 0x29, 0x52, 0x74, 0x52]  // (0, (2,), (1,), False, OrderedDict())
        body += [0x73, 0x2E]                                                                 // SETITEM, STOP
        let pickle: [UInt8] = [0x80, 0x04, 0x95] + PickleWriter.le64(body.count) + body
        let data = PickleWriter.legacyCheckpoint(stateDict: pickle, storages: [("0", 2, floatBytes([0.5, -1.5]))])
        #expect(try TorchCheckpoint.load(data: data)["w"] == StoredTensor(shape: [2], values: [0.5, -1.5]))
    }

    @Test func storageTypesAreDecoded() throws {
        let half: [UInt16] = [0x3C00, 0xC000]             // 1, -2
        let bfloat: [UInt16] = [0x3F80, 0x4049]           // 1, 3.140625
        let cases: [(type: String, bytes: [UInt8], scalar: ScalarType, values: [Float])] = [
            ("HalfStorage", half.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, .float16, [1, -2]),
            ("BFloat16Storage", bfloat.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, .bfloat16, [1, 3.140625]),
            ("DoubleStorage", [0.5, -4].flatMap { (d: Double) in PickleWriter.le64(Int(bitPattern: UInt(d.bitPattern))) }, .float64, [0.5, -4]),
            ("LongStorage", PickleWriter.le64(-3) + PickleWriter.le64(1 << 40), .int64, [-3, 1_099_511_627_776]),
            ("IntStorage", PickleWriter.le32(-7) + PickleWriter.le32(9), .int32, [-7, 9]),
            ("ByteStorage", [255, 3], .uint8, [255, 3]),
            ("BoolStorage", [1, 0], .bool, [1, 0]),
        ]
        for c in cases {
            let tensor = CraftedTensor(storageType: c.type, storageKey: "k", numel: 2, size: [2], stride: [1])
            let dict = try TorchCheckpoint.load(data: PickleWriter.legacyCheckpoint([("x", tensor)], storages: [("k", 2, c.bytes)]))
            #expect(dict["x"] == StoredTensor(shape: [2], scalarType: c.scalar, values: c.values), "\(c.type)")
        }
    }

    @Test func viewsBeyondTheirStorageAreRejected() throws {
        let tooLong = CraftedTensor(storageKey: "0", numel: 4, offset: 1, size: [2, 2], stride: [2, 1])
        let data = PickleWriter.legacyCheckpoint([("w", tooLong)], storages: [("0", 4, floatBytes([1, 2, 3, 4]))])
        #expect(throws: FormatError.storageTooSmall(key: "0", needed: 20, available: 16)) { try TorchCheckpoint.load(data: data) }
        // A stride-0 view asking for far more memory than the file could hold.
        let broadcast = CraftedTensor(storageKey: "0", numel: 1, size: [1 << 30], stride: [0])
        let huge = PickleWriter.legacyCheckpoint([("b", broadcast)], storages: [("0", 1, floatBytes([1]))])
        #expect(throws: FormatError.self) { try TorchCheckpoint.load(data: huge) }
    }

    @Test func shapeChecksAndMissingKeys() throws {
        let dict = try TorchCheckpoint.load(data: try Fixtures.data("tiny_zip.pth"))
        #expect(try dict.tensor("fc.weight", shape: [10, 16]).count == 160)
        #expect(throws: FormatError.shapeMismatch(key: "fc.weight", expected: [16, 10], found: [10, 16])) {
            try dict.tensor("fc.weight", shape: [16, 10])
        }
        #expect(throws: FormatError.missingKey("fc2.weight")) { try dict.tensor("fc2.weight", shape: [10]) }
        #expect(FormatError.shapeMismatch(key: "fc.weight", expected: [16, 10], found: [10, 16]).description
            == "tensor 'fc.weight' has shape [10, 16], expected [16, 10]")
    }

    @Test func stateDictKeepsInsertionOrder() {
        var dict = StateDict()
        dict.set("b", StoredTensor(shape: [1], values: [1]))
        dict.set("a", StoredTensor(shape: [2], values: [1, 2]))
        dict.set("b", StoredTensor(shape: [], scalarType: .int64, values: [3]))
        #expect(dict.keys == ["b", "a"] && dict.count == 2)
        #expect(dict["b"]?.values == [3] && dict["b"]?.count == 1)
    }
}
