import Foundation
import GlimpseCore
import GlimpseImage

/// The images of a folder as one batch, for the class-agnostic visualizer and for measuring spectra.
public enum ImageFolder {
    /// File extensions read (lower case).
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Every PNG/JPEG in `folder` (sorted by name), centre-square-cropped and resized bilinearly to `side`²:
    /// ([N, 3, side, side] in [0, 1], file names). Throws when the folder has none or a file does not decode.
    public static func load(_ folder: URL, side: Int) throws -> (images: Tensor, names: [String]) {
        guard side >= 8 else { throw VisError.badOption("the image side must be >= 8, found \(side)") }
        guard let listing = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            throw VisError.badOption("cannot read the image folder \(folder.path)")
        }
        let names = listing
            .filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
        guard !names.isEmpty else { throw VisError.badOption("no PNG or JPEG images in \(folder.path)") }
        let images = try names.map { name -> Tensor in
            let square = try ImageCodec.load(contentsOf: folder.appendingPathComponent(name)).centerSquareCrop()
            let planes = try Tensor(square.planarFloats(), shape: [1, 3, square.height, square.width])
            return try withoutGradient { try planes.resizedBilinear(height: side, width: side) }
        }
        return (try Tensor.concatenate(images, axis: 0), names)
    }
}
