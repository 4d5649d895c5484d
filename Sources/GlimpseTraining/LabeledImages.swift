import GlimpseCore

/// An in-memory image set: `count` images [C, H, W] with values in [0, 1], and one label each.
public struct LabeledImages: Sendable {
    /// Values of all images, image after image (NCHW).
    public let pixels: [Float]
    /// Class index of each image.
    public let labels: [Int]
    public let channels: Int, height: Int, width: Int
    /// Number of classes (labels are in 0..<classCount).
    public let classCount: Int

    /// Checks that the sizes agree and that every label is a class index.
    public init(pixels: [Float], labels: [Int], channels: Int, height: Int, width: Int, classCount: Int) throws {
        guard channels > 0, height > 0, width > 0, classCount > 0 else {
            throw TrainingError.dataset("image set: sizes must be positive (C \(channels), H \(height), W \(width), classes \(classCount))")
        }
        guard pixels.count == labels.count * channels * height * width else {
            throw TrainingError.dataset("image set: \(pixels.count) values for \(labels.count) images of \(channels)×\(height)×\(width)")
        }
        if let bad = labels.first(where: { !(0..<classCount).contains($0) }) {
            throw TrainingError.dataset("image set: label \(bad) outside 0..<\(classCount)")
        }
        self.pixels = pixels; self.labels = labels
        self.channels = channels; self.height = height; self.width = width; self.classCount = classCount
    }

    /// Number of images.
    public var count: Int { labels.count }
    /// Values per image.
    public var imageSize: Int { channels * height * width }

    /// The first `n` images (all when n ≥ count).
    public func prefix(_ n: Int) -> LabeledImages {
        let k = Swift.max(0, Swift.min(n, count))
        return try! LabeledImages(pixels: Array(pixels[0..<(k * imageSize)]), labels: Array(labels[0..<k]),
                                  channels: channels, height: height, width: width, classCount: classCount)
    }

    /// The images at `indices` as a batch tensor [n, C, H, W] and their labels.
    public func batch(_ indices: [Int]) -> (images: Tensor, labels: [Int]) {
        let size = imageSize
        let images = Tensor(shape: [indices.count, channels, height, width]) { p, _ in
            pixels.withUnsafeBufferPointer { src in
                for (row, i) in indices.enumerated() {
                    (p + row * size).update(from: src.baseAddress! + i * size, count: size)
                }
            }
        }
        return (images, indices.map { labels[$0] })
    }
}
