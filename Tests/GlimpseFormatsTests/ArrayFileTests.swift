import Foundation
import GlimpseFormats
import Testing

@Suite struct NPYTests {
    @Test func fixturesLoad() throws {
        let input = try NPY.load(contentsOf: try Fixtures.folder.appendingPathComponent("tiny_input.npy"))
        #expect(input.shape == [1, 1, 28, 28] && input.scalarType == .float32 && input.values.count == 784)
        #expect(input.values.allSatisfy { $0 >= 0 && $0 < 1 })
        let logits = try NPY.load(data: try Fixtures.data("tiny_logits.npy"))
        #expect(logits.shape == [1, 10] && logits.values.count == 10)
    }

    @Test func writeThenReadRoundTrips() throws {
        let url = Fixtures.temporaryFile(".npy")
        defer { try? FileManager.default.removeItem(at: url) }
        let values: [Float] = (0..<24).map { Float($0) * 0.25 - 3 }
        for shape in [[2, 3, 4], [24], [1, 24, 1]] {
            try NPY.write(values, shape: shape, to: url)
            let back = try NPY.load(contentsOf: url)
            #expect(back.shape == shape && back.scalarType == .float32 && back.values == values)
        }
        try NPY.write([42], shape: [], to: url)
        #expect(try NPY.load(contentsOf: url).values == [42])
        #expect(throws: FormatError.self) { try NPY.write([1, 2, 3], shape: [2, 2], to: url) }
    }

    @Test func encodingMatchesNumPyLayout() throws {
        let data = NPY.encode([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let bytes = [UInt8](data)
        #expect(Array(bytes.prefix(8)) == [0x93] + Array("NUMPY".utf8) + [1, 0])
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect((10 + headerLength) % 64 == 0 && bytes[10 + headerLength - 1] == 0x0A)
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"))
        #expect(data.count == 10 + headerLength + 24)
        #expect(String(decoding: NPY.encode([1], shape: [1]).prefix(70), as: UTF8.self).contains("'shape': (1,), }"))
        // Same bytes as the fixture numpy wrote.
        let fixture = try Fixtures.data("tiny_logits.npy")
        let logits = try NPY.load(data: fixture)
        #expect(NPY.encode(logits.values, shape: logits.shape) == fixture)
    }

    @Test func otherDtypesAndVersionsLoad() throws {
        func npy(_ descr: String, _ shape: String, _ payload: [UInt8], version: UInt8 = 1, fortran: Bool = false) -> Data {
            let header = Array("{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }\n".utf8)
            let lengthBytes = version == 1 ? 2 : 4
            var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
            out += PickleWriter.le32(header.count).prefix(lengthBytes)
            return Data(out + header + payload)
        }
        #expect(try NPY.load(data: npy("|u1", "(3,)", [0, 7, 255])).values == [0, 7, 255])
        #expect(try NPY.load(data: npy("<i8", "(1,)", PickleWriter.le64(-5), version: 2)).values == [-5])
        #expect(try NPY.load(data: npy("<i4", "(1, 1)", PickleWriter.le32(12), version: 3)).values == [12])
        #expect(try NPY.load(data: npy("<f2", "(2,)", [0x00, 0x3C, 0x00, 0xB8])).values == [1, -0.5])
        #expect(try NPY.load(data: npy("|b1", "(2,)", [1, 0])).scalarType == .bool)
        let double = try NPY.load(data: npy("<f8", "()", PickleWriter.le64(Int(bitPattern: UInt(Double(2.5).bitPattern)))))
        #expect(double.shape == [] && double.values == [2.5] && double.scalarType == .float64)
        #expect(throws: FormatError.unsupported("Fortran-ordered npy array; save it with numpy.ascontiguousarray first")) {
            try NPY.load(data: npy("<f4", "(1,)", [0, 0, 0, 0], fortran: true))
        }
        #expect(throws: FormatError.unsupported("npy dtype '>f4'")) { try NPY.load(data: npy(">f4", "(1,)", [0, 0, 0, 0])) }
    }
}

@Suite struct SafetensorsTests {
    @Test func roundTripWithMetadata() throws {
        let tiny = try TorchCheckpoint.load(data: try Fixtures.data("tiny_legacy.pth"))
        var dict = tiny
        dict.set("extra.half", StoredTensor(shape: [2, 2], scalarType: .float16, values: [0.5, -1, 2048, 0]))
        dict.set("extra.bf16", StoredTensor(shape: [3], scalarType: .bfloat16, values: [1, -3.140625, 0]))
        dict.set("extra.mask", StoredTensor(shape: [2], scalarType: .bool, values: [1, 0]))
        dict.set("extra.bytes", StoredTensor(shape: [3], scalarType: .uint8, values: [0, 1, 255]))
        dict.set("extra.empty", StoredTensor(shape: [0, 4], values: []))
        let url = Fixtures.temporaryFile(".safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let metadata = ["format": "pt", "note": "quotes \" and / slashes, ünïcode"]
        try Safetensors.write(dict, metadata: metadata, to: url)
        let back = try Safetensors.load(contentsOf: url)
        #expect(back.keys == dict.keys)
        for key in dict.keys { #expect(back[key] == dict[key], "\(key)") }
        #expect(try Safetensors.metadata(contentsOf: url) == metadata)
        #expect(back["bn1.num_batches_tracked"]?.scalarType == .int64)

        try Safetensors.write(tiny, to: url)  // overwrite in place, no metadata
        #expect(try Safetensors.metadata(contentsOf: url).isEmpty)
        #expect(try Safetensors.load(contentsOf: url).keys == Fixtures.tinyKeys)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
            .filter { $0.hasPrefix(".\(url.lastPathComponent)") }
        #expect(leftovers.isEmpty, "temporary files of the atomic write remain: \(leftovers)")
    }

    @Test func headerLayout() throws {
        var dict = StateDict()
        dict.set("w", StoredTensor(shape: [2], values: [1, 2]))
        let url = Fixtures.temporaryFile(".safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Safetensors.write(dict, to: url)
        let bytes = [UInt8](try Data(contentsOf: url))
        let length = bytes.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(length % 8 == 0 && bytes.count == 8 + length + 8)
        let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        #expect(header.trimmingCharacters(in: .whitespaces) == #"{"w":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}}"#)
    }

    @Test func writeRejectsValuesThatDoNotFillTheShape() {
        var dict = StateDict()
        dict.set("w", StoredTensor(shape: [2, 2], values: [1, 2, 3]))
        #expect(throws: FormatError.self) { try Safetensors.write(dict, to: Fixtures.temporaryFile(".safetensors")) }
    }
}
