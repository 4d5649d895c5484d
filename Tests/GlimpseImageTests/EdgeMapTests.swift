import GlimpseImage
import Testing

@Suite struct EdgeMapTests {
    @Test func sobelMatchesScikitImage() throws {
        let x = try Fixtures.npy("input_1x3x224x224.npy")
        #expect(x.shape == [1, 3, 224, 224])
        let x01 = x.floats.map { ($0 * 128 + 127) / 255 }
        let edges = EdgeMap.sobel(planar: x01, channels: 3, width: 224, height: 224)
        let reference = try Fixtures.npy("sobel_224.npy")
        #expect(reference.shape == [224, 224] && edges.count == reference.floats.count)
        let error = zip(edges, reference.floats).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(error <= 1e-5)
        #expect(reference.floats.max() ?? 0 > 0.1)
    }

    @Test func sobelOfSmallMaps() {
        // A vertical step from 0 to 1 between columns 1 and 2 of a 4×3 grey map.
        let step: [Float] = [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]
        let edges = EdgeMap.sobel(planar: step, channels: 1, width: 4, height: 3)
        let half = Float((0.5 as Double).squareRoot())
        #expect(edges == [0, half, half, 0, 0, half, half, 0, 0, half, half, 0])
        #expect(EdgeMap.sobel(planar: [0.3], channels: 1, width: 1, height: 1) == [0])
        #expect(EdgeMap.sobel(planar: Array(repeating: 0.5, count: 12), channels: 3, width: 2, height: 2) == [0, 0, 0, 0])
        #expect(EdgeMap.sobel(planar: [1, 2, 3], channels: 3, width: 2, height: 2).isEmpty)
        #expect(EdgeMap.sobel(planar: [], channels: 0, width: 1, height: 1).isEmpty)
    }
}
