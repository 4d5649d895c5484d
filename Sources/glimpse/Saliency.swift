import ArgumentParser
import Foundation
import GlimpseCore
import GlimpseFormats
import GlimpseImage
import GlimpseModels
import GlimpseSaliency

struct Saliency: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compute saliency maps of images and write them as .npy arrays and PNG overlays.",
        discussion: """
        Methods (comma-separated in --method):
        \(SaliencyMethod.allCases.map { "  \($0.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0)) \($0.paper)" }.joined(separator: "\n"))

        CAM methods explain --layer (default: the model's last feature map, `_head_act` for EfficientNet-Lite0);
        their maps are normalised to [0, 1] exactly as pytorch-grad-cam does. Gradient maps are max over colour
        channels of |attribution| with respect to the [0, 1] image. The target defaults to the top-1 class.

        Example: glimpse saliency --method gradcam,scorecam,smoothgrad --png out/ --npy out/ photos/chelsea.png
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "Methods, comma-separated (see above).")
    var method: String = "gradcam"

    @Option(name: .long, help: "Layer explained by CAM methods (see `glimpse layers`).")
    var layer: String?

    @Option(name: .long, help: "Target class index (default: the top-1 class of each image).")
    var target: Int?

    @Option(name: .long, help: "Folder for .npy maps (H×W float32).")
    var npy: String?

    @Option(name: .long, help: "Folder for PNG overlays with a colour bar.")
    var png: String?

    @Option(name: .long, help: "Seed of SmoothGrad's noise.")
    var seed: UInt64 = 0

    @Argument(help: ArgumentHelp("Image files.", valueName: "image"))
    var images: [String]

    func validate() throws {
        for name in methods where SaliencyMethod(rawValue: name) == nil {
            throw ValidationError("unknown method '\(name)'; known: \(SaliencyMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
    }

    var methods: [String] { method.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func run() throws {
        let model = try modelOptions.load()
        if let layer, !model.layerPaths.contains(layer) { throw ModelError.unknownLayer(layer, known: model.layerPaths) }
        for folder in [npy, png].compactMap({ $0 }) {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        var options = SaliencyMethod.Options()
        options.layer = layer
        options.seed = seed
        for path in images {
            let x = try model.preprocess(ImageCodec.load(contentsOf: URL(fileURLWithPath: path)))
            let logits = try model.logits(x)
            let top = logits.scalars.indices.max { logits.scalars[$0] < logits.scalars[$1] } ?? 0
            let cls = target ?? top
            let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            let picture = try RGBImage(planar: x.scalars, channels: 3, width: x.shape[3], height: x.shape[2])
            for name in methods {
                let m = try Outputs.saliency(SaliencyMethod(rawValue: name)!, model: model, x: x, picture: picture, targetClass: cls,
                                             stem: stem, options: options, npyFolder: npy.map { URL(fileURLWithPath: $0) },
                                             pngFolder: png.map { URL(fileURLWithPath: $0) })
                Progress.line(String(format: "%@  %@ (class %d %@): %.1f ms", stem, name, cls, ImageNetClasses.name(cls), m.milliseconds))
            }
        }
    }
}
