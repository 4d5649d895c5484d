import Foundation
import GlimpseGallery
import GlimpseImage
import Testing

/// Opens every page type in headless Chromium (Debian's `chromium`, installed by `scripts/setup.sh --test`) and checks
/// that the screenshot shows a rendered page: the header bar, text, and the colourful fixture pictures.
@Suite struct BrowserScreenshotTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Fraction of pixels that are not (near) the page background, and the number of distinct coarse colours.
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

    @Test func everyPageTypeRendersInChromium() throws {
        guard let chromium = Self.chromium else {
            print("skipped: Chromium not installed (scripts/setup.sh --test installs Debian's chromium)")
            return
        }
        let folder = try SiteBuilderTests.temporaryFolder("browser")
        defer { try? FileManager.default.removeItem(at: folder) }
        try SiteBuilder.build(try FixtureGallery.records(in: folder), into: folder, assets: FixtureGallery.assets)
        let shots = ProcessInfo.processInfo.environment["GLIMPSE_SCREENSHOTS"].map { URL(fileURLWithPath: $0) } ?? folder
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        for page in ["index", "layers", "saliency", "attacks", "experiments"] {
            let shot = shots.appendingPathComponent("\(page).png")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: chromium)
            process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,900",
                                 "--user-data-dir=\(folder.appendingPathComponent(".chromium").path)",
                                 "--screenshot=\(shot.path)", folder.appendingPathComponent("\(page).html").absoluteString]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "chromium exit \(process.terminationStatus) on \(page)")
            let image = try ImageCodec.load(contentsOf: shot)
            #expect(image.width == 1200 && image.height == 900)
            // The dark header spans the top rows.
            let header = image.pixels[3 * (10 * image.width + 600)]
            #expect(header < 60, "\(page): no header bar")
            let (ink, colours) = Self.inkAndColours(image)
            print("\(page).html in Chromium: \(String(format: "%.1f", ink * 100)) % ink, \(colours) coarse colours")
            #expect(ink > 0.05, "\(page): almost blank")
            if page != "experiments" { #expect(colours > 40, "\(page): pictures not rendered") }
        }
    }
}
