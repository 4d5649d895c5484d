import Foundation
import GlimpseImage
import Testing

@Suite struct CodecTests {
    @Test(arguments: [(1, 1), (37, 23), (64, 1), (3, 200)])
    func pngRoundTripIsExact(size: (Int, Int)) throws {
        let image = Fixtures.noise(width: size.0, height: size.1, seed: UInt64(size.0 * 1000 + size.1))
        #expect(try ImageCodec.decode(ImageCodec.encodePNG(image)) == image)
        #expect(try ImageCodec.decode(ImageCodec.encodePNG(image, fast: false)) == image)
    }

    @Test func pngOfSmoothImageIsSmallerWhenNotFast() throws {
        let image = Fixtures.smooth(width: 128, height: 96)
        let fast = try ImageCodec.encodePNG(image), small = try ImageCodec.encodePNG(image, fast: false)
        #expect(small.count <= fast.count)
        #expect(try ImageCodec.decode(small) == image)
        #expect(ImageFormat(sniffing: small) == .png)
    }

    @Test func jpegRoundTripIsClose() throws {
        let image = Fixtures.smooth(width: 96, height: 64)
        let data = try ImageCodec.encodeJPEG(image, quality: 92)
        #expect(ImageFormat(sniffing: data) == .jpeg)
        let back = try ImageCodec.decode(data)
        #expect(back.width == 96 && back.height == 64)
        #expect(psnr(back, image) > 30)
        let rough = try ImageCodec.decode(ImageCodec.encodeJPEG(image, quality: 10))
        #expect(psnr(rough, image) < psnr(back, image))
        #expect(try ImageCodec.decode(ImageCodec.encodeJPEG(Fixtures.noise(width: 1, height: 1, seed: 9), quality: 100)).width == 1)
    }

    @Test func jpegQualityOutOfRangeIsBadOption() throws {
        let image = Fixtures.smooth(width: 8, height: 8)
        for quality in [0, 101, -5] {
            #expect(throws: ImageError.self) { try ImageCodec.encodeJPEG(image, quality: quality) }
            do { _ = try ImageCodec.encodeJPEG(image, quality: quality) } catch let error as ImageError {
                guard case .badOption = error else { Issue.record("expected badOption, got \(error)"); continue }
            }
        }
    }

    @Test func greyPNGDecodesToEqualChannels() throws {
        let samples: [UInt8] = [0, 1, 127, 128, 200, 255]
        let image = try ImageCodec.decode(TinyPNG.make(width: 3, height: 2, bitDepth: 8, colorType: 0, samples: samples))
        #expect(image.width == 3 && image.height == 2)
        for i in 0..<6 {
            #expect(image.pixels[3 * i] == samples[i] && image.pixels[3 * i + 1] == samples[i] && image.pixels[3 * i + 2] == samples[i])
        }
    }

    @Test func sixteenBitGreyIsTakenAsSRGB() throws {
        let data = TinyPNG.make(width: 2, height: 1, bitDepth: 16, colorType: 0, samples: [0x80, 0x80, 0xFF, 0xFF])
        #expect(try ImageCodec.decode(data).pixels == [128, 128, 128, 255, 255, 255])
    }

    @Test func alphaIsCompositedOnBlack() throws {
        let rgba: [UInt8] = [10, 200, 30, 255, 10, 200, 30, 0]
        let image = try ImageCodec.decode(TinyPNG.make(width: 2, height: 1, bitDepth: 8, colorType: 6, samples: rgba))
        #expect(image.pixels == [10, 200, 30, 0, 0, 0])
        let greyAlpha = try ImageCodec.decode(TinyPNG.make(width: 2, height: 1, bitDepth: 8, colorType: 4, samples: [90, 255, 90, 0]))
        #expect(greyAlpha.pixels == [90, 90, 90, 0, 0, 0])
    }

    @Test func palettePNGIsExpanded() throws {
        let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255]
        let image = try ImageCodec.decode(TinyPNG.make(width: 3, height: 1, bitDepth: 8, colorType: 3, samples: [2, 1, 0], palette: palette))
        #expect(image.pixels == [0, 0, 255, 0, 255, 0, 255, 0, 0])
    }

    @Test func writeIsAtomicAndFollowsTheExtension() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-image-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = Fixtures.smooth(width: 20, height: 10)
        let png = folder.appendingPathComponent("a.PNG"), jpg = folder.appendingPathComponent("b.jpg")
        try ImageCodec.write(image, to: png)
        try ImageCodec.write(Fixtures.noise(width: 3, height: 3, seed: 1), to: png)
        try ImageCodec.write(image, to: png)
        try ImageCodec.write(image, to: jpg)
        try ImageCodec.write(image, to: folder.appendingPathComponent("c.jpeg"))
        #expect(try ImageCodec.load(contentsOf: png) == image)
        #expect(try psnr(ImageCodec.load(contentsOf: jpg), image) > 30)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["a.PNG", "b.jpg", "c.jpeg"])
    }

    @Test func unknownExtensionAndMissingFolderAreErrors() throws {
        let image = RGBImage(width: 2, height: 2)
        for name in ["x.gif", "x", "x.png.bak"] {
            #expect(throws: ImageError.self) { try ImageCodec.write(image, to: URL(fileURLWithPath: "/tmp/\(name)")) }
        }
        do {
            try ImageCodec.write(image, to: URL(fileURLWithPath: "/tmp/x.tiff"))
            Issue.record("no error")
        } catch let error as ImageError {
            guard case .unsupportedFormat = error else { Issue.record("got \(error)"); return }
        }
        let missing = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/x.png")
        do {
            try ImageCodec.write(image, to: missing)
            Issue.record("no error")
        } catch let error as ImageError {
            guard case let .unwritable(path, reason) = error else { Issue.record("got \(error)"); return }
            #expect(path == missing.path && !reason.isEmpty && !error.description.contains("\n"))
        }
    }

    @Test func loadReportsThePath() throws {
        let missing = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString).png")
        do {
            _ = try ImageCodec.load(contentsOf: missing)
            Issue.record("no error")
        } catch let error as ImageError {
            guard case let .unreadable(path, reason) = error else { Issue.record("got \(error)"); return }
            #expect(path == missing.path && !reason.isEmpty)
            #expect(error.description.hasPrefix("cannot read image \(missing.path): "))
            #expect(!error.description.contains("\n"))
        }
        let garbage = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-\(UUID().uuidString).png")
        try Data("hello".utf8).write(to: garbage)
        defer { try? FileManager.default.removeItem(at: garbage) }
        #expect(throws: ImageError.unreadable(path: garbage.path, reason: ImageError.notAnImage.description)) {
            try ImageCodec.load(contentsOf: garbage)
        }
    }

    @Test(.enabled(if: Fixtures.photo("chelsea.png") != nil, "needs the cached photo chelsea.png"))
    func chelseaDecodesExactly() throws {
        let chelsea = try ImageCodec.load(contentsOf: #require(Fixtures.photo("chelsea.png")))
        let reference = try Fixtures.npy("chelsea_uint8_300x451x3.npy")
        #expect(reference.shape == [300, 451, 3])
        #expect(chelsea.width == 451 && chelsea.height == 300)
        #expect(chelsea.pixels == reference.bytes)
        let square = chelsea.centerSquareCrop()
        #expect(square.width == 300 && square.height == 300)
        #expect(Array(square.pixels.prefix(3)) == Array(reference.bytes[(75 * 3)..<(75 * 3 + 3)]))
    }

    @Test(.enabled(if: Fixtures.photo("rocket.jpg") != nil, "needs the cached photo rocket.jpg"))
    func rocketDecodes() throws {
        let url = try #require(Fixtures.photo("rocket.jpg"))
        let rocket = try ImageCodec.load(contentsOf: url)
        #expect(rocket.width == 640 && rocket.height == 427)
        let mean = rocket.pixels.reduce(0) { $0 + Int($1) } / rocket.pixels.count
        #expect((20...235).contains(mean))
        let bytes = try Data(contentsOf: url)
        #expect(throws: ImageError.self) { try ImageCodec.decode(bytes.prefix(bytes.count / 2)) }
    }
}
