import Foundation

/// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) from the gzipped IDX files of the Debian package `dataset-fashion-mnist`.
public enum FashionMNIST {
    /// The ten class names, in label order.
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// Where the Debian package installs the files; `$GLIMPSE_FASHION_MNIST` overrides it.
    public static var defaultDirectory: URL {
        if let env = ProcessInfo.processInfo.environment["GLIMPSE_FASHION_MNIST"], !env.isEmpty {
            return URL(fileURLWithPath: env, isDirectory: true)
        }
        return URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist", isDirectory: true)
    }

    /// The 60 000 training or 10 000 test images.
    public enum Split: String, Sendable { case train, test }

    /// True when both files of `split` exist in `directory`.
    public static func isAvailable(_ split: Split = .test, in directory: URL = defaultDirectory) -> Bool {
        let (images, labels) = fileNames(split)
        return [images, labels].allSatisfy { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
    }

    /// Loads `split`: 28×28 grey images in [0, 1] (byte / 255) with labels 0…9.
    public static func load(_ split: Split, from directory: URL = defaultDirectory) throws -> LabeledImages {
        let (imageFile, labelFile) = fileNames(split)
        let images = try IDX.parse(Gzip.decompress(read(directory.appendingPathComponent(imageFile))))
        let labels = try IDX.parse(Gzip.decompress(read(directory.appendingPathComponent(labelFile))))
        guard images.shape.count == 3, labels.shape.count == 1, images.shape[0] == labels.shape[0] else {
            throw TrainingError.malformedIDX("images \(images.shape) and labels \(labels.shape) do not match")
        }
        return try LabeledImages(pixels: images.bytes.map { Float($0) / 255 }, labels: labels.bytes.map(Int.init),
                                 channels: 1, height: images.shape[1], width: images.shape[2], classCount: 10)
    }

    static func fileNames(_ split: Split) -> (String, String) {
        let stem = split == .train ? "train" : "t10k"
        return ("\(stem)-images-idx3-ubyte.gz", "\(stem)-labels-idx1-ubyte.gz")
    }

    private static func read(_ url: URL) throws -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrainingError.dataset("Fashion-MNIST file \(url.path) is missing: install the Debian package dataset-fashion-mnist (scripts/setup.sh) or set GLIMPSE_FASHION_MNIST")
        }
        do { return try Data(contentsOf: url) } catch { throw TrainingError.dataset("cannot read \(url.path): \(error.localizedDescription)") }
    }
}
