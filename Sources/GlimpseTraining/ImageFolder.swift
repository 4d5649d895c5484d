import Foundation
import GlimpseCore
import GlimpseImage
import GlimpseModels

/// Images from a folder, centre-cropped to a square and resized (bilinear, half-pixel) to `size`, values in [0, 1].
/// With one subfolder per class the labels are the subfolders (sorted by name); otherwise every image directly in
/// the folder is taken, and a classifier's own predictions are the labels.
public enum ImageFolder {
    static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Labelled by subfolder: the images and the class names (subfolder names, in label order).
    public static func labelled(_ folder: URL, size: Int, channels: Int = 3) throws -> (LabeledImages, classNames: [String]) {
        let classes = try contents(folder).filter { $0.hasDirectoryPath }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        guard !classes.isEmpty else { throw TrainingError.dataset("\(folder.path) has no class subfolders") }
        var pixels: [Float] = [], labels: [Int] = []
        for (label, dir) in classes.enumerated() {
            for file in try imageFiles(dir) {
                pixels += try load(file, size: size, channels: channels)
                labels.append(label)
            }
        }
        guard !labels.isEmpty else { throw TrainingError.dataset("no PNG or JPEG images in the subfolders of \(folder.path)") }
        return (try LabeledImages(pixels: pixels, labels: labels, channels: channels, height: size, width: size, classCount: classes.count),
                classes.map(\.lastPathComponent))
    }

    /// Every image directly in `folder`, labelled with `classifier`'s top-1 class, at the classifier's input size.
    public static func predicted(_ folder: URL, by classifier: any Classifier) throws -> LabeledImages {
        let files = try imageFiles(folder)
        guard !files.isEmpty else { throw TrainingError.dataset("no PNG or JPEG images in \(folder.path)") }
        var pixels: [Float] = [], labels: [Int] = []
        for file in files {
            let image = try load(file, size: classifier.inputSize, channels: classifier.inputChannels)
            let logits = try classifier.logits(Tensor(image, shape: [1, classifier.inputChannels, classifier.inputSize, classifier.inputSize])).scalars
            labels.append(logits.indices.max { logits[$0] < logits[$1] }!)
            pixels += image
        }
        return try LabeledImages(pixels: pixels, labels: labels, channels: classifier.inputChannels, height: classifier.inputSize,
                                 width: classifier.inputSize, classCount: classifier.classCount)
    }

    private static func contents(_ folder: URL) throws -> [URL] {
        do {
            return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.isDirectoryKey], options: [.skipsHiddenFiles])
        } catch { throw TrainingError.dataset("cannot list \(folder.path): \(error.localizedDescription)") }
    }

    private static func imageFiles(_ folder: URL) throws -> [URL] {
        try contents(folder).filter { extensions.contains($0.pathExtension.lowercased()) }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// One image as planar values [channels, size, size] (grey = mean of R, G, B).
    static func load(_ url: URL, size: Int, channels: Int) throws -> [Float] {
        let square = try ImageCodec.load(contentsOf: url).centerSquareCrop()
        let rgb = try Tensor(square.planarFloats(), shape: [1, 3, square.height, square.width]).resizedBilinear(height: size, width: size)
        return channels == 1 ? try rgb.mean(axes: [1], keepDims: true).scalars : rgb.scalars
    }
}
