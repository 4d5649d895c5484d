import GlimpseImage
import Testing

@Suite struct ColormapTests {
    private func close(_ a: (UInt8, UInt8, UInt8), _ b: (Int, Int, Int), within tolerance: Int = 2) -> Bool {
        abs(Int(a.0) - b.0) <= tolerance && abs(Int(a.1) - b.1) <= tolerance && abs(Int(a.2) - b.2) <= tolerance
    }

    @Test func jetFollowsMatplotlib() {
        #expect(Colormap.jet.color(0) == (0, 0, 128))
        #expect(Colormap.jet.color(1) == (128, 0, 0))
        // matplotlib's 256-entry table samples t = 127/255 here: (0.4903, 1, 0.4839); at t = 0.5 exactly: 0.4839, 1, 0.4839.
        #expect(Colormap.jet.color(0.5) == (123, 255, 123))
        #expect(Colormap.jet.color(0.25) == (0, 128, 255))
        #expect(Colormap.jet.color(0.75) == (255, 151, 0))
        #expect(Colormap.jet.color(-3) == Colormap.jet.color(0) && Colormap.jet.color(7) == Colormap.jet.color(1))
    }

    @Test func viridisAndInfernoFollowMatplotlib() {
        let viridis: [(Float, (Int, Int, Int))] = [
            (0, (68, 1, 84)), (0.1, (72, 37, 117)), (0.25, (59, 82, 139)), (0.5, (33, 144, 140)),
            (0.75, (93, 201, 99)), (0.9, (188, 223, 39)), (1, (253, 231, 37)),
        ]
        let inferno: [(Float, (Int, Int, Int))] = [
            (0, (0, 0, 4)), (0.1, (23, 11, 59)), (0.25, (87, 16, 109)), (0.5, (187, 55, 85)),
            (0.75, (249, 141, 10)), (0.9, (246, 214, 68)), (1, (252, 255, 164)),
        ]
        for (t, rgb) in viridis { #expect(close(Colormap.viridis.color(t), rgb), "viridis(\(t))") }
        for (t, rgb) in inferno { #expect(close(Colormap.inferno.color(t), rgb), "inferno(\(t))") }
    }

    @Test func grayAndNaN() {
        #expect(Colormap.gray.color(0.5) == (128, 128, 128))
        #expect(Colormap.gray.color(1) == (255, 255, 255))
        for map in Colormap.allCases { #expect(map.color(.nan) == (0, 0, 0)) }
        #expect(Colormap(rawValue: "viridis") == .viridis)
    }
}

@Suite struct PictureTests {
    @Test func heatmapNormalisesByMinMax() throws {
        let heat = try Picture.heatmap([0, 1, 2, 3], width: 2, height: 2)
        #expect(heat.width == 2 && heat.height == 2)
        #expect(Array(heat.pixels.prefix(3)) == [0, 0, 128])
        #expect(Array(heat.pixels.suffix(3)) == [128, 0, 0])
        let shifted = try Picture.heatmap([10, 11, 12, 13], width: 2, height: 2)
        #expect(shifted == heat)
        let raw = try Picture.heatmap([0, 0.5, 2, -1], width: 4, height: 1, colormap: .gray, normalize: false)
        #expect(raw.pixels == [0, 0, 0, 128, 128, 128, 255, 255, 255, 0, 0, 0])
        let flat = try Picture.heatmap([5, 5, 5], width: 3, height: 1, colormap: .gray)
        #expect(flat.pixels == Array(repeating: 0, count: 9))
        #expect(throws: ImageError.self) { try Picture.heatmap([1], width: 2, height: 2) }
        #expect(throws: ImageError.nonFinite) { try Picture.heatmap([1, .nan], width: 2, height: 1) }
    }

    @Test func overlayBlends() throws {
        let image = RGBImage(width: 2, height: 2, fill: (200, 200, 200))
        let overlay = try Picture.overlay([0, 0, 0, 1], on: image, alpha: 0.5)
        #expect(overlay.width == 2 && overlay.height == 2)
        #expect(Array(overlay.pixels.prefix(3)) == [100, 100, 164])
        #expect(Array(overlay.pixels.suffix(3)) == [164, 100, 100])
        #expect(try Picture.overlay([0, 0, 0, 1], on: image, alpha: 0) == image)
        #expect(throws: ImageError.self) { try Picture.overlay([0, 0, 0, 1], on: image, alpha: 1.5) }
        #expect(throws: ImageError.self) { try Picture.overlay([0, 0, 0, 1], on: image, alpha: .nan) }
        #expect(throws: ImageError.self) { try Picture.overlay([0, 1], on: image) }
    }

    @Test func colorBarIsAppendedOnTheRight() {
        let image = RGBImage(width: 3, height: 5, fill: (9, 9, 9))
        let bar = Picture.withColorBar(image, barWidth: 2)
        #expect(bar.width == 3 + 4 + 2 && bar.height == 5)
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(bar.pixels[((y * bar.width + x) * 3)..<((y * bar.width + x) * 3 + 3)]) }
        #expect(pixel(2, 4) == [9, 9, 9])
        #expect(pixel(3, 0) == [255, 255, 255] && pixel(6, 4) == [255, 255, 255])
        #expect(pixel(7, 0) == [128, 0, 0] && pixel(8, 0) == [128, 0, 0])
        #expect(pixel(7, 4) == [0, 0, 128])
        #expect(Picture.withColorBar(RGBImage(width: 1, height: 1), barWidth: 0).width == 1 + 4 + 1)
    }

    @Test func gridTilesWithPadding() throws {
        let a = RGBImage(width: 2, height: 3, fill: (10, 20, 30)), b = RGBImage(width: 2, height: 3, fill: (40, 50, 60))
        let grid = try Picture.grid([a, b, a], columns: 2, padding: 1, background: (1, 2, 3))
        #expect(grid.width == 2 * 2 + 3 && grid.height == 2 * 3 + 3)
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(grid.pixels[((y * grid.width + x) * 3)..<((y * grid.width + x) * 3 + 3)]) }
        #expect(pixel(0, 0) == [1, 2, 3])
        #expect(pixel(1, 1) == [10, 20, 30] && pixel(2, 3) == [10, 20, 30])
        #expect(pixel(3, 1) == [1, 2, 3])
        #expect(pixel(4, 1) == [40, 50, 60] && pixel(5, 3) == [40, 50, 60])
        #expect(pixel(1, 5) == [10, 20, 30] && pixel(4, 5) == [1, 2, 3])
        #expect(try Picture.grid([a], columns: 4, padding: 0) == a)
        #expect(throws: ImageError.self) { try Picture.grid([], columns: 2) }
        #expect(throws: ImageError.self) { try Picture.grid([a], columns: 0) }
        #expect(throws: ImageError.self) { try Picture.grid([a], columns: 1, padding: -1) }
        #expect(throws: ImageError.self) { try Picture.grid([a, RGBImage(width: 3, height: 3)], columns: 2) }
        #expect(throws: ImageError.self) { try Picture.grid([a], columns: 1, padding: Int.max / 2) }
    }

    @Test func upscaleRepeatsPixels() throws {
        var image = RGBImage(width: 2, height: 1)
        image.pixels = [1, 2, 3, 4, 5, 6]
        let big = try Picture.upscaled(image, by: 2)
        #expect(big.width == 4 && big.height == 2)
        #expect(big.pixels == [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6])
        #expect(try Picture.upscaled(image, by: 1) == image)
        #expect(throws: ImageError.self) { try Picture.upscaled(image, by: 0) }
        #expect(throws: ImageError.self) { try Picture.upscaled(image, by: Int.max) }
    }
}
