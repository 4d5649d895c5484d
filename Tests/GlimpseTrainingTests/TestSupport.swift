import Foundation
import GlimpseFormats
import GlimpseModels
import GlimpseTraining

enum Support {
    static var fashionMNISTPresent: Bool { FashionMNIST.isAvailable(.train) && FashionMNIST.isAvailable(.test) }

    /// `$GLIMPSE_CACHE`, else `~/.cache/glimpse`.
    static var cache: URL { ModelZoo.cacheDirectory }

    static func temporaryFolder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-training-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The real Fashion-MNIST label file of the test split, gzipped (about 5 KB).
    static func testLabelsGzip() throws -> Data {
        try Data(contentsOf: FashionMNIST.defaultDirectory.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
    }
}
