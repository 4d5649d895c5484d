import Foundation
import GlimpseImage

/// Test fixtures, cached photos and deterministic test images.
enum Fixtures {
    static var folder: URL {
        get throws {
            guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
                throw NPYArray.Failure.bad("the Fixtures folder is missing from the test bundle")
            }
            return url
        }
    }

    static func npy(_ name: String) throws -> NPYArray { try NPYArray(contentsOf: folder.appendingPathComponent(name)) }

    /// `$GLIMPSE_CACHE/photos`, else `~/.cache/glimpse/photos`.
    static var photos: URL {
        let cache = ProcessInfo.processInfo.environment["GLIMPSE_CACHE"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/glimpse")
        return cache.appendingPathComponent("photos")
    }

    /// The cached photo's URL, or nil after printing why the test is skipped.
    static func photo(_ name: String) -> URL? {
        let url = photos.appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: url.path) { return url }
        print("SKIPPED: photo \(name) is missing from \(photos.path) (set GLIMPSE_CACHE or fetch the photos)")
        return nil
    }

    /// Uniform random bytes.
    static func noise(width: Int, height: Int, seed: UInt64) -> RGBImage {
        var rng = SplitMix64(seed: seed)
        var image = RGBImage(width: width, height: height)
        for i in image.pixels.indices { image.pixels[i] = rng.byte() }
        return image
    }

    /// Smooth gradients (JPEG-friendly).
    static func smooth(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                image.pixels[i] = UInt8(255 * x / max(width - 1, 1))
                image.pixels[i + 1] = UInt8(255 * y / max(height - 1, 1))
                image.pixels[i + 2] = UInt8(128 + Int(100 * sin(Double(x + y) / 9)))
            }
        }
        return image
    }
}

/// A small seeded generator (SplitMix64) so that fuzz runs repeat exactly.
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
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next() >> 32) }
}

/// Peak signal-to-noise ratio in dB between two same-size images.
func psnr(_ a: RGBImage, _ b: RGBImage) -> Double {
    let sse = zip(a.pixels, b.pixels).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) }
    return 10 * log10(255 * 255 / max(sse / Double(a.pixels.count), 1e-12))
}
