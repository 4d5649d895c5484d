import Foundation
import GlimpseFormats
import GlimpseImage
import Testing

enum ImageFixtures {
    static let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    static func array(_ name: String) throws -> NPYArray { try NPY.load(contentsOf: folder.appendingPathComponent(name)) }
    static var photos: URL {
        let cache = ProcessInfo.processInfo.environment["GLIMPSE_CACHE"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/glimpse")
        return cache.appendingPathComponent("photos")
    }
    static func present(_ name: String) -> Bool {
        if FileManager.default.fileExists(atPath: photos.appendingPathComponent(name).path) { return true }
        print("skipped: photo \(name) missing in \(photos.path) (run scripts/setup.sh)")
        return false
    }
    static func noise(width: Int, height: Int, seed: UInt64) -> RGBImage {
        var s = seed
        var px = [UInt8](repeating: 0, count: width * height * 3)
        for i in px.indices { s = s &* 6364136223846793005 &+ 1442695040888963407; px[i] = UInt8(truncatingIfNeeded: s >> 56) }
        return try! RGBImage(width: width, height: height, pixels: px)
    }
}

@Suite struct CodecTests {
    @Test func pngRoundTripIsExact() throws {
        let image = ImageFixtures.noise(width: 37, height: 23, seed: 5)
        #expect(try ImageCodec.decode(ImageCodec.encodePNG(image)) == image)
        #expect(try ImageCodec.decode(ImageCodec.encodePNG(image, fast: false)) == image)
    }

    @Test func jpegRoundTripIsClose() throws {
        var image = RGBImage(width: 64, height: 48)
        for y in 0..<48 { for x in 0..<64 {
            let i = (y * 64 + x) * 3
            image.pixels[i] = UInt8(x * 4); image.pixels[i + 1] = UInt8(y * 5); image.pixels[i + 2] = 128
        } }
        let back = try ImageCodec.decode(ImageCodec.encodeJPEG(image, quality: 92))
        let mse = zip(back.pixels, image.pixels).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) } / Double(image.pixels.count)
        #expect(10 * log10(255 * 255 / max(mse, 1e-9)) > 30, "PSNR above 30 dB")
        #expect(throws: ImageError.self) { try ImageCodec.encodeJPEG(image, quality: 0) }
        #expect(throws: ImageError.self) { try ImageCodec.encodeJPEG(image, quality: 101) }
    }

    @Test(.enabled(if: ImageFixtures.present("chelsea.png") && ImageFixtures.present("rocket.jpg")))
    func photosDecodeExactly() throws {
        let chelsea = try ImageCodec.load(contentsOf: ImageFixtures.photos.appendingPathComponent("chelsea.png"))
        let reference = try ImageFixtures.array("chelsea_uint8_300x451x3.npy")
        #expect(chelsea.width == 451 && chelsea.height == 300)
        #expect(chelsea.pixels == reference.values.map { UInt8($0) })
        let rocket = try ImageCodec.load(contentsOf: ImageFixtures.photos.appendingPathComponent("rocket.jpg"))
        #expect(rocket.width > 100 && rocket.height > 100)
    }

    @Test func badImagesAreTypedErrors() throws {
        let png = [UInt8](try ImageCodec.encodePNG(ImageFixtures.noise(width: 40, height: 30, seed: 1)))
        let jpeg = [UInt8](try ImageCodec.encodeJPEG(ImageFixtures.noise(width: 40, height: 30, seed: 2)))
        #expect(throws: ImageError.notAnImage) { try ImageCodec.decode(Data()) }
        #expect(throws: ImageError.notAnImage) { try ImageCodec.decode(Data("GIF89a".utf8)) }
        for length in stride(from: 4, to: png.count, by: 41) {
            #expect(throws: ImageError.self) { try ImageCodec.decode(Data(png.prefix(length))) }
        }
        for length in stride(from: 4, to: jpeg.count, by: 41) {
            #expect(throws: ImageError.self) { try ImageCodec.decode(Data(jpeg.prefix(length))) }
        }
        var state: UInt64 = 77
        for round in 0..<1000 {
            var b = round % 2 == 0 ? png : jpeg
            for _ in 0..<3 {
                state = state &* 6364136223846793005 &+ 1
                b[2 + Int(state >> 33) % (b.count - 2)] ^= UInt8(truncatingIfNeeded: state >> 13) | 1
            }
            do { _ = try ImageCodec.decode(Data(b)) } catch is ImageError {}
        }
        #expect(throws: ImageError.self) { try RGBImage(width: 2, height: 2, pixels: [1, 2, 3]) }
        #expect(throws: ImageError.nonFinite) { try RGBImage(planar: [.nan, 0, 0], channels: 3, width: 1, height: 1) }
        #expect(throws: ImageError.self) {
            try ImageCodec.write(RGBImage(width: 2, height: 2), to: URL(fileURLWithPath: "/tmp/x.gif"))
        }
    }

    @Test func atomicWriteAndReload() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-\(getpid()).png")
        defer { try? FileManager.default.removeItem(at: url) }
        let image = ImageFixtures.noise(width: 9, height: 7, seed: 3)
        try ImageCodec.write(image, to: url)
        #expect(try ImageCodec.load(contentsOf: url) == image)
    }
}

@Suite struct PictureTests {
    @Test func sobelMatchesScikitImage() throws {
        let x = try ImageFixtures.array("input_1x3x224x224.npy")
        let x01 = x.values.map { ($0 * 128 + 127) / 255 }
        let edges = EdgeMap.sobel(planar: x01, channels: 3, width: 224, height: 224)
        let reference = try ImageFixtures.array("sobel_224.npy")
        let err = zip(edges, reference.values).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(err <= 1e-5)
    }

    @Test func heatmapsOverlaysAndGrids() throws {
        #expect(Colormap.jet.color(0) == (0, 0, 128))
        #expect(Colormap.jet.color(1) == (128, 0, 0))
        #expect(Colormap.gray.color(0.5) == (128, 128, 128))
        let heat = try Picture.heatmap([0, 1, 2, 3], width: 2, height: 2)
        #expect(Array(heat.pixels.prefix(3)) == [0, 0, 128])
        let image = RGBImage(width: 2, height: 2, fill: (200, 200, 200))
        let overlay = try Picture.overlay([0, 0, 0, 1], on: image, alpha: 0.5)
        #expect(overlay.width == 2 && Array(overlay.pixels.suffix(3)) == [164, 100, 100])
        let bar = Picture.withColorBar(image, barWidth: 5)
        #expect(bar.width == 2 + 4 + 5 && bar.height == 2)
        let grid = try Picture.grid([image, image, image], columns: 2, padding: 1, background: (1, 2, 3))
        #expect(grid.width == 2 * 2 + 3 && grid.height == 2 * 2 + 3)
        #expect(Array(grid.pixels.prefix(3)) == [1, 2, 3])
        #expect(try Picture.upscaled(image, by: 3).width == 6)
        #expect(throws: ImageError.self) { try Picture.heatmap([1], width: 2, height: 2) }
    }
}
