import ArgumentParser
import Foundation
import GlimpseCore
import GlimpseFormats
import GlimpseImage
import GlimpseModels
import GlimpseSaliency
import GlimpseTraining

struct Saliency: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compute saliency maps of images and write them as .npy arrays and PNG overlays.",
        discussion: """
        Methods (comma-separated in --method):
        \(SaliencyMethod.allCases.map { "  \($0.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0))\($0.paper)" }.joined(separator: "\n"))
          \("sess:NAME".padding(toLength: 22, withPad: " ", startingAt: 0))\(SaliencySpec.sessHelp)

        CAM methods explain --layer (default: the model's last feature map, `_head_act` for EfficientNet-Lite0); \
        their maps are normalised to [0, 1] exactly as pytorch-grad-cam does. Gradient maps are the max over \
        colour channels of |attribution| with respect to the [0, 1] image; guided backpropagation and deconvnet \
        apply their rule to ReLU6 too. sess:NAME (e.g. sess:gradcam) runs NAME on 122 windows of 12 scales and \
        fuses them; its maps are in [0, 1]. The target is the raw logit of --target, default the top-1 class.

        Example: glimpse saliency --method gradcam,scorecam,smoothgrad --png out/ --npy out/ photos/chelsea.png
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "Methods, comma-separated (see above; sess:NAME wraps NAME in SESS).")
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

    @Option(name: .long, help: "SmoothGrad's number of noisy samples.")
    var samples: Int = 25

    @Option(name: .long, help: "SmoothGrad's noise σ as a fraction of the input's range.")
    var noise: Float = 0.15

    @Option(name: .long, help: "Integrated Gradients' steps (right Riemann rule; baseline: the image the model normalises to 0).")
    var steps: Int = 32

    @Option(name: .long, help: "Masker folder for --method rts (from glimpse masker train).")
    var masker: String?
    @OptionGroup var perturbation: PerturbationOptions

    @Argument(help: ArgumentHelp("Image files.", valueName: "image"))
    var images: [String]

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
        guard samples >= 1, steps >= 1, noise >= 0 else { throw ValidationError("--samples and --steps must be at least 1, --noise at least 0") }
    }

    func run() throws {
        let methods = try SaliencySpec.list(parsing: method)
        let model = try modelOptions.load()
        if let layer, !model.layerPaths.contains(layer) { throw ModelError.unknownLayer(layer, known: model.layerPaths) }
        if let target, !(0..<model.classCount).contains(target) {
            throw SaliencyError.targetOutOfRange("class", index: target, count: model.classCount)
        }
        for folder in [npy, png].compactMap({ $0 }) {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        var options = SaliencyMethod.Options()
        options.layer = layer
        options.seed = seed
        options.smoothGradSamples = samples
        options.smoothGradNoise = noise
        options.integratedGradientsSteps = steps
        options.masker = try masker.map { try MaskingModel.load(from: URL(fileURLWithPath: $0), classifier: model) }
        perturbation.apply(to: &options)
        for path in images {
            let x = try model.preprocess(ImageCodec.load(contentsOf: URL(fileURLWithPath: path)))
            let logits = try model.logits(x)
            let top = logits.scalars.indices.max { logits.scalars[$0] < logits.scalars[$1] } ?? 0
            let cls = target ?? top
            let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            let picture = try RGBImage(planar: x.scalars, channels: x.shape[1], width: x.shape[3], height: x.shape[2])
            for method in methods {
                let m = try Outputs.saliency(method, model: model, x: x, picture: picture, targetClass: cls,
                                             stem: stem, options: options, npyFolder: npy.map { URL(fileURLWithPath: $0) },
                                             pngFolder: png.map { URL(fileURLWithPath: $0) })
                Progress.line(String(format: "%@  %@ (class %d %@): %.1f ms", stem, method.description, cls, ImageNetClasses.name(cls), m.milliseconds))
            }
        }
    }
}
