import GlimpseImage
import Testing

@Suite struct RGBImageTests {
    @Test func fillAndPixelInit() throws {
        let image = RGBImage(width: 3, height: 2, fill: (1, 2, 3))
        #expect(image.pixels == Array(repeating: [1, 2, 3], count: 6).flatMap { $0 })
        #expect(RGBImage(width: 2, height: 2, fill: (7, 7, 7)).pixels == Array(repeating: 7, count: 12))
        #expect(RGBImage(width: 0, height: -2).width == 1)
        #expect(try RGBImage(width: 1, height: 2, pixels: [1, 2, 3, 4, 5, 6]).pixels == [1, 2, 3, 4, 5, 6])
    }

    @Test func planarRoundTripIsExact() throws {
        let image = Fixtures.noise(width: 7, height: 5, seed: 4)
        let planes = image.planarFloats()
        #expect(planes.count == 3 * 35)
        #expect(planes[0] == Float(image.pixels[0]) / 255)
        #expect(planes[35] == Float(image.pixels[1]) / 255)
        #expect(planes[70 + 34] == Float(image.pixels[3 * 34 + 2]) / 255)
        #expect(try RGBImage(planar: planes, channels: 3, width: 7, height: 5) == image)
    }

    @Test func planarValuesAreClampedAndRounded() throws {
        let grey = try RGBImage(planar: [-1, 2, 0.5, 0.2], channels: 1, width: 2, height: 2)
        #expect(grey.pixels == [0, 0, 0, 255, 255, 255, 128, 128, 128, 51, 51, 51])
        let colour = try RGBImage(planar: [1, 0, 0.0019, 0.0021, 0, 0.999], channels: 3, width: 2, height: 1)
        #expect(colour.pixels == [255, 0, 0, 0, 1, 255])
    }

    @Test func crops() throws {
        var image = RGBImage(width: 5, height: 4)
        for i in 0..<20 { image.pixels[3 * i] = UInt8(i) }
        let crop = try image.cropped(x: 1, y: 2, width: 3, height: 2)
        #expect(crop.width == 3 && crop.height == 2)
        #expect(stride(from: 0, to: 18, by: 3).map { crop.pixels[$0] } == [11, 12, 13, 16, 17, 18])
        #expect(try image.cropped(x: 0, y: 0, width: 5, height: 4) == image)
        let wide = image.centerSquareCrop()
        #expect(wide.width == 4 && wide.height == 4 && wide.pixels[0] == 0 && wide.pixels[3] == 1)
        var tall = RGBImage(width: 2, height: 7)
        for i in 0..<14 { tall.pixels[3 * i] = UInt8(i) }
        let square = tall.centerSquareCrop()
        #expect(square.width == 2 && square.height == 2 && square.pixels[0] == 4 && square.pixels[9] == 7)
    }
}
