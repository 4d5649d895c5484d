import Foundation
import GlimpseImage

/// Headless Chromium (Debian's `chromium`, installed by `scripts/setup.sh --test`) rendering gallery pages to PNG.
enum Browser {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Screenshot of `page` (1200×900) written to `shot`; returns Chromium's exit status.
    static func screenshot(_ page: URL, to shot: URL, profile: URL) throws -> Int32 {
        guard let chromium else { return -1 }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,900",
                             "--user-data-dir=\(profile.path)", "--screenshot=\(shot.path)", page.absoluteString]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Fraction of pixels that are not (near) the page background #fafafa, and the number of distinct coarse colours.
    static func inkAndColours(_ image: RGBImage) -> (ink: Double, colours: Int) {
        var ink = 0
        var colours = Set<Int>()
        for i in stride(from: 0, to: image.pixels.count, by: 3) {
            let (r, g, b) = (Int(image.pixels[i]), Int(image.pixels[i + 1]), Int(image.pixels[i + 2]))
            if abs(r - 0xfa) + abs(g - 0xfa) + abs(b - 0xfa) > 24 { ink += 1 }
            colours.insert((r >> 5) << 6 | (g >> 5) << 3 | (b >> 5))
        }
        return (Double(ink) / Double(image.pixels.count / 3), colours.count)
    }
}
