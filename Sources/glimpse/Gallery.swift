import ArgumentParser
import Foundation
import GlimpseCore
import GlimpseGallery
import GlimpseImage
import GlimpseModels
import GlimpseSaliency

struct Gallery: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build a static HTML gallery of visualizations and saliency maps.",
        subcommands: [Demo.self, Build.self]
    )

    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compute a gallery for the default model and the sample photos, then build the site.",
            discussion: """
            Channel visualizations of several layers (Fourier parameterization, Lucid transforms, Adam) and every
            saliency method on each photo, written as PNG + .npy + records.json, then index.html, layers.html and
            saliency.html. Open <out>/index.html in a browser (no server needed).
            """
        )

        @OptionGroup var modelOptions: ModelOptions

        @Option(name: .long, help: "Output folder.")
        var out: String = "gallery-out"

        @Option(name: .long, help: "Folder of photos (PNG/JPEG). Default: the set-up script's photos in the cache.")
        var photos: String?

        @Option(name: .long, help: "Layers to visualise, comma-separated.")
        var layers: String = "_blocks.4,_blocks.10,_blocks.15"

        @Option(name: .long, help: "Channels per layer (the first N).")
        var channels: Int = 8

        @Option(name: .long, help: "Optimisation steps per visualization.")
        var steps: Int = 128

        @Option(name: .long, help: "Seed of the visualizations and of SmoothGrad.")
        var seed: UInt64 = 0

        func validate() throws {
            guard (1...64).contains(channels) else { throw ValidationError("--channels must be between 1 and 64") }
            guard (1...10_000).contains(steps) else { throw ValidationError("--steps must be between 1 and 10000") }
        }

        func run() throws {
            let model = try modelOptions.load()
            let folder = URL(fileURLWithPath: out)
            let images = folder.appendingPathComponent("images")
            try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
            let assets = try SiteBuilder.assetsFolder()
            let started = Date()
            let command = CommandLine.arguments.joined(separator: " ")
            var records = GalleryRecords(title: "Glimpse — \(model.name)")

            let layerList = layers.split(separator: ",").map(String.init)
            for layer in layerList where !model.layerPaths.contains(layer) { throw ModelError.unknownLayer(layer, known: model.layerPaths) }
            for layer in layerList {
                let rendered = try Outputs.renderChannels(model: model, layer: layer, channels: Array(0..<channels), steps: steps,
                                                          size: model.inputSize, batch: channels, seed: seed, folder: images)
                records.visualizations += rendered.map {
                    VisualizationRecord(model: model.name, layer: $0.layer, channel: $0.channel, image: "images/\($0.file)",
                                        finalObjective: $0.objective, steps: steps, seed: seed, command: command)
                }
            }

            let photoFolder = photos.map { URL(fileURLWithPath: $0) } ?? ModelZoo.cacheDirectory.appendingPathComponent("photos")
            let files = try FileManager.default.contentsOfDirectory(atPath: photoFolder.path)
                .filter { ["png", "jpg", "jpeg"].contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
            guard !files.isEmpty else { throw ValidationError("no PNG or JPEG photos in \(photoFolder.path) (run scripts/setup.sh or pass --photos)") }
            var options = SaliencyMethod.Options()
            options.seed = seed
            let total = files.count * SaliencyMethod.modelOnlyCases.count
            var done = 0
            for file in files {
                let x = try model.preprocess(ImageCodec.load(contentsOf: photoFolder.appendingPathComponent(file)))
                let logits = try model.logits(x)
                let probabilities = try withoutGradient { try logits.softmax(axis: 1) }.scalars
                let cls = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
                let stem = (file as NSString).deletingPathExtension
                let picture = try RGBImage(planar: x.scalars, channels: 3, width: x.shape[3], height: x.shape[2])
                try ImageCodec.write(picture, to: images.appendingPathComponent("\(stem)_input.png"))
                for method in SaliencyMethod.modelOnlyCases {
                    let m = try Outputs.saliency(method, model: model, x: x, picture: picture, targetClass: cls, stem: stem,
                                                 options: options, npyFolder: images, pngFolder: images)
                    records.saliency.append(SaliencyRecord(
                        model: model.name, photo: stem, input: "images/\(stem)_input.png", targetClass: cls,
                        className: ImageNetClasses.name(cls), probability: Double(probabilities[cls]), method: method.rawValue,
                        paper: method.paper, overlay: "images/\(m.png!)", map: "images/\(m.npy!)", milliseconds: m.milliseconds,
                        command: command))
                    done += 1
                    Progress.update("saliency", step: done, of: total, "\(stem) \(method.rawValue)")
                }
            }
            Progress.finish()
            let index = try SiteBuilder.build(records, into: folder, assets: assets)
            print(String(format: "gallery built in %.0f s: open %@", Date().timeIntervalSince(started), index.path))
        }
    }

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the pages from records.json files without recomputing (images must be in --out).")

        @Argument(help: "records.json files written by `gallery demo`.")
        var records: [String]

        @Option(name: .long, help: "Gallery folder (holding the images the records name).")
        var out: String

        func run() throws {
            let merged = try GalleryRecords.load(records.map { URL(fileURLWithPath: $0) })
            let index = try SiteBuilder.build(merged, into: URL(fileURLWithPath: out), assets: SiteBuilder.assetsFolder())
            print("open \(index.path)")
        }
    }
}
