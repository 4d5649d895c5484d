import Foundation
import GlimpseImage
import Testing

/// Every bad input must end in an `ImageError` with a one-line description: never a crash, never another error type.
@Suite struct BadInputTests {
    /// Decodes `bytes`; returns the error, or nil when they decode (then the image must be self-consistent).
    private func outcome(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> ImageError? {
        do {
            let image = try ImageCodec.decode(Data(bytes))
            #expect(image.pixels.count == image.width * image.height * 3, sourceLocation: sourceLocation)
            return nil
        } catch let error as ImageError {
            #expect(!error.description.contains("\n") && !error.description.isEmpty, sourceLocation: sourceLocation)
            return error
        } catch {
            Issue.record("not an ImageError: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    @Test func emptyAndForeignDataAreNotImages() {
        #expect(outcome([]) == .notAnImage)
        #expect(outcome(Array("GIF89a....".utf8)) == .notAnImage)
        #expect(outcome([0x89, 0x50, 0x4E, 0x47]) == .notAnImage)
        #expect(outcome([0xFF, 0xD8]) == .notAnImage)
        var rng = SplitMix64(seed: 11)
        for length in [1, 7, 64, 4096] {
            var bytes = (0..<length).map { _ in rng.byte() }
            if bytes.first == 0x89 || bytes.first == 0xFF { bytes[0] = 0 }
            #expect(outcome(bytes) == .notAnImage)
        }
    }

    @Test func randomBytesBehindASignatureAreErrors() {
        var rng = SplitMix64(seed: 12)
        let signatures: [[UInt8]] = [[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], [0xFF, 0xD8, 0xFF]]
        for round in 0..<200 {
            let bytes = signatures[round % 2] + (0..<rng.below(2000)).map { _ in rng.byte() }
            #expect(outcome(bytes) != nil)
        }
    }

    @Test(arguments: [ImageFormat.png, .jpeg])
    func truncationIsAnErrorOrTheWholeImage(format: ImageFormat) throws {
        let image = Fixtures.noise(width: 24, height: 16, seed: 3)
        let data = [UInt8](format == .png ? try ImageCodec.encodePNG(image) : try ImageCodec.encodeJPEG(image, quality: 80))
        let whole = try ImageCodec.decode(Data(data))
        var errors = 0
        for length in 0..<data.count {
            if let error = outcome(Array(data.prefix(length))) {
                errors += 1
                let truncated = if case .truncated = error { true } else { false }
                #expect(length < 8 || truncated, "length \(length): \(error)")
            } else {
                // Only a missing end marker may be forgiven, and then the picture must be complete.
                #expect(length >= data.count - 12)
                #expect(try ImageCodec.decode(Data(data.prefix(length))) == whole)
            }
        }
        #expect(errors >= data.count - 12)
    }

    @Test(arguments: [ImageFormat.png, .jpeg])
    func flippedBytesNeverCrash(format: ImageFormat) throws {
        let image = Fixtures.smooth(width: 40, height: 30)
        let data = [UInt8](format == .png ? try ImageCodec.encodePNG(image) : try ImageCodec.encodeJPEG(image))
        var rng = SplitMix64(seed: format == .png ? 21 : 22)
        var errors = 0
        for round in 0..<600 {
            var bytes = data
            // Half the rounds hit the headers (first 200 bytes), half anywhere; 1 to 4 flips each.
            let span = round % 2 == 0 ? min(200, bytes.count) : bytes.count
            for _ in 0...rng.below(4) {
                bytes[rng.below(span)] ^= UInt8(1 + rng.below(255))
            }
            if outcome(bytes) != nil { errors += 1 }
        }
        #expect(errors > 100)
    }

    @Test func badSizesAndValuesAreErrors() {
        #expect(throws: ImageError.self) { try RGBImage(width: 2, height: 2, pixels: [1, 2, 3]) }
        #expect(throws: ImageError.self) { try RGBImage(width: 0, height: 0, pixels: []) }
        #expect(throws: ImageError.self) { try RGBImage(width: -1, height: -3, pixels: [1, 2, 3, 4, 5, 6, 7, 8, 9]) }
        #expect(throws: ImageError.self) { try RGBImage(width: Int.max, height: 2, pixels: []) }
        #expect(throws: ImageError.self) { try RGBImage(width: 1 << 20, height: 1 << 20, pixels: []) }
        #expect(throws: ImageError.nonFinite) { try RGBImage(planar: [.nan, 0, 0], channels: 3, width: 1, height: 1) }
        #expect(throws: ImageError.nonFinite) { try RGBImage(planar: [.infinity], channels: 1, width: 1, height: 1) }
        #expect(throws: ImageError.self) { try RGBImage(planar: [0, 0], channels: 2, width: 1, height: 1) }
        #expect(throws: ImageError.self) { try RGBImage(planar: [0, 0, 0], channels: 1, width: 1, height: 1) }
        let image = RGBImage(width: 4, height: 3)
        for (x, y, w, h) in [(-1, 0, 1, 1), (0, 0, 5, 1), (3, 2, 2, 1), (0, 0, 0, 1), (Int.max, 0, 1, 1), (1, 1, Int.max, 1)] {
            #expect(throws: ImageError.self) { try image.cropped(x: x, y: y, width: w, height: h) }
        }
    }

    @Test func imageErrorsDescribeThemselvesOnOneLine() {
        let errors: [ImageError] = [
            .notAnImage, .corrupt("PNG: x"), .truncated("JPEG: y"), .badSize("z"), .badOption("q"), .nonFinite,
            .unsupportedFormat("gif"), .unreadable(path: "/a", reason: "b"), .unwritable(path: "/c", reason: "d"),
        ]
        for error in errors {
            #expect(!error.description.isEmpty && !error.description.contains("\n"))
        }
        #expect(Set(errors.map(\.description)).count == errors.count)
    }
}
