import ArgumentParser
import Foundation
import GlimpseCore
import GlimpseFormats
import GlimpseImage
import GlimpseModels
import GlimpseVis

struct Visualize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Feature visualization: synthesize images that maximise channels of layers, an objective, or a layer's features of an image set.",
        discussion: """
        Lucid-style activation maximisation: Fourier-space parameters (1/f scale; or pixels; or MACO phases with a fixed
        natural magnitude) with ImageNet colour decorrelation and a sigmoid, Lucid's standard transforms (pad 12,
        jitter 8, scale 0.90-1.10, rotate -10..10 deg, jitter 4) drawn from the seed, Adam (lr 0.05) or SGD with
        Nesterov momentum, an optional spectral penalty, the redirected ReLU gradient for the first 16 steps. The
        forward pass stops after the deepest layer the objective reads.

        --layers/--channels: channels are optimised --batch at a time; each writes <layer>_<c>.png and
        <layer>_<c>.json atomically, and finished chunks are skipped when the command is run again (resume).
        --grid adds one grid_<layer>.png per layer; --param maco also writes <layer>_<c>_transparency.png (MACO's
        accumulated |gradient| as opacity over white). --objective "L:7" (or "L", "logit:K", "prob:K"): --batch images of
        one objective, with --diversity W subtracting W x diversity. --class-agnostic --images DIR: the dual objective of
        The Mind's Eye. Every run writes visualize.json (settings, per-image objectives, timing). Same seed, same images.

        Examples:
          glimpse visualize --layers _blocks.4,_blocks.10,_blocks.14 --channels 0-15 --steps 256 --grid --out out/gallery
          glimpse visualize --objective _blocks.10:7 --batch 4 --diversity 100 --out out/diverse
          glimpse visualize --class-agnostic --images ~/.cache/glimpse/photos --layer _blocks.12 --targets clusters:2 --out out/mindseye
        """
    )

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var render: RenderOptions

    @Option(name: .long, help: "Layer to visualise (see `glimpse layers`); same as --layers with one layer.")
    var layer: String?

    @Option(name: .long, help: "Comma-separated layers whose --channels are visualised.")
    var layers: String?

    @Option(name: .long, help: "Channels of each layer: a range 0-15, a list 1,5,9, or both (0-3,8).")
    var channels: String = "0-3"

    @Option(name: .long, help: "One objective \"layer:channel\", \"layer\" (DeepDream), \"logit:K\" or \"prob:K\" instead of --layer/--channels.")
    var objective: String?

    @Option(name: .long, help: "Images optimised together.")
    var batch: Int = 4

    @Option(name: .long, help: "With --objective and --batch > 1: weight of the diversity penalty on the objective's layer.")
    var diversity: Float = 0

    @Flag(name: .long, help: "Write grid_<layer>.png (and grid.png) of the channel images.")
    var grid = false

    @Flag(name: .long, help: "EfficientNet: TensorFlow-\"same\" pads computed from each transformed input's size, as TensorFlow and PyTorch's EfficientNet with image_size=None have them (default: the PyTorch package's static pads for 224; identical at 224).")
    var padsPerInput = false

    @Flag(name: .long, help: "Re-render channels whose PNG and JSON already exist.")
    var noResume = false

    @OptionGroup var classAgnostic: ClassAgnosticOptions

    @Option(name: .long, help: "Output folder.")
    var out: String

    /// The layers of a channel run (from --layers or --layer).
    var layerList: [String] {
        (layers ?? layer ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func validate() throws {
        guard (1...64).contains(batch) else { throw ValidationError("--batch must be between 1 and 64") }
        let modes = [objective != nil, classAgnostic.enabled, objective == nil && !classAgnostic.enabled && !layerList.isEmpty]
        guard modes.filter({ $0 }).count == 1, !(layers != nil && layer != nil) else {
            throw ValidationError("give one of --layer/--layers (with --channels), --objective, or --class-agnostic with --layer")
        }
        if let objective { _ = try Objective.parse(objective) }
        guard diversity >= 0, diversity.isFinite else { throw ValidationError("--diversity must be >= 0") }
        if diversity > 0, objective == nil || batch < 2 { throw ValidationError("--diversity needs --objective and --batch of at least 2") }
        if classAgnostic.enabled, layer == nil { throw ValidationError("--class-agnostic needs --layer") }
        _ = try parsedChannels()
    }

    /// "0-3,8" → [0, 1, 2, 3, 8].
    func parsedChannels() throws -> [Int] {
        var result: [Int] = []
        for part in channels.split(separator: ",", omittingEmptySubsequences: false) {
            let ends = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            if ends.count == 1, let a = ends[0], a >= 0 { result.append(a) }
            else if ends.count == 2, let a = ends[0], let b = ends[1], a >= 0, b >= a { result += Array(a...b) }
            else { throw ValidationError("--channels '\(channels)' is not like 0-15 or 1,5,9") }
        }
        return result
    }

    /// Number of channels of `layer`, from one small forward pass; throws for an unknown layer.
    static func channelCount(of layer: String, model: any Classifier) throws -> Int {
        guard model.layerPaths.contains(layer) else { throw ModelError.unknownLayer(layer, known: model.layerPaths) }
        let side = max(model.minimumInputSize, 32)
        let probe = Tensor(repeating: 0.5, shape: [1, model.inputChannels, side, side])
        let shape = try withoutGradient { try model.run(probe, capturing: [layer], stoppingEarly: true).layer(layer).shape }
        return shape.count >= 2 ? shape[1] : 0
    }

    func run() throws {
        let loaded = try modelOptions.load()
        let model = padsPerInput ? (loaded as? EfficientNetLite0)?.padsSamePerInput() ?? loaded : loaded
        let folder = URL(fileURLWithPath: out)
        let start = Date()
        var doc: [String: Any] = render.record.merging(["model": model.name, "batch": batch,
                                                        "command": CommandLine.arguments.joined(separator: " "),
                                                        "padsPerInput": padsPerInput]) { a, _ in a }
        if classAgnostic.enabled, let layer {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            doc.merge(try classAgnostic.run(model: model, layer: layer, render: render, folder: folder)) { _, b in b }
        } else if let objective {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            doc["runs"] = try runObjective(objective, model: model, folder: folder)
        } else {
            let (runs, skipped) = try runChannels(model: model, folder: folder)
            doc["runs"] = runs
            doc["skippedAlreadyDone"] = skipped
            doc["notes"] = "finalObjective: the channel's mean activation on the final untransformed image; robustObjective: its mean over 16 seeded standard transforms; history: the chunk's summed objective on each step's transformed images"
        }
        doc["seconds"] = Date().timeIntervalSince(start)
        try AtomicFile.write(JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys]),
                             to: folder.appendingPathComponent("visualize.json"))
        print(String(format: "wrote visualize.json and the images to %@ in %.1f s", out, Date().timeIntervalSince(start)))
    }

    /// --layers/--channels: every channel of every layer, resumable, with optional grids.
    func runChannels(model: any Classifier, folder: URL) throws -> ([[String: Any]], Int) {
        let wanted = try parsedChannels()
        for layer in layerList {
            let count = try Self.channelCount(of: layer, model: model)
            if let bad = wanted.first(where: { $0 >= count }) {
                throw VisError.badObjective("channel \(bad) out of range: \(layer) has \(count) channels (0-\(count - 1))")
            }
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var runs: [[String: Any]] = [], skipped = 0, allPictures: [RGBImage] = []
        for (i, layer) in layerList.enumerated() {
            var job = ChannelRendering(model: model, options: render, batch: batch, folder: folder)
            job.resume = !noResume
            job.progressPrefix = layerList.count > 1 ? "[layer \(i + 1)/\(layerList.count)] " : ""
            let (records, skippedHere) = try job.run(layer: layer, channels: wanted)
            skipped += skippedHere
            runs += records.map {
                ["layer": $0.layer, "channel": $0.channel, "image": $0.image, "finalObjective": $0.finalObjective,
                 "robustObjective": $0.robustObjective ?? NSNull(), "msPerStep": $0.msPerStep, "chunkSeed": $0.chunkSeed]
            }
            if grid {
                let pictures = try records.map { try ImageCodec.load(contentsOf: folder.appendingPathComponent($0.image)) }
                try ImageCodec.write(try Picture.grid(pictures, columns: min(8, pictures.count)),
                                     to: folder.appendingPathComponent("grid_\(layer).png"))
                allPictures += pictures
            }
        }
        if grid, layerList.count > 1 {
            try ImageCodec.write(try Picture.grid(allPictures, columns: wanted.count), to: folder.appendingPathComponent("grid.png"))
        }
        return (runs, skipped)
    }

    /// --objective: `batch` images of one objective (minus diversity), rendered together.
    func runObjective(_ text: String, model: any Classifier, folder: URL) throws -> [[String: Any]] {
        var obj = try Objective.parse(text)
        let parts = text.split(separator: ":")
        let objectiveLayer = obj.layers.first
        if let objectiveLayer {
            let count = try Self.channelCount(of: objectiveLayer, model: model)
            if parts.count == 2, let channel = Int(parts[1]), channel >= count {
                throw VisError.badObjective("channel \(channel) out of range: \(parts[0]) has \(count) channels (0-\(count - 1))")
            }
        }
        if diversity > 0 {
            guard let objectiveLayer else { throw ValidationError("--diversity needs an objective that reads a layer") }
            obj = obj - diversity * .diversity(objectiveLayer)
        }
        let result = try render.renderer().render(model: model, objective: obj, parameterization: render.parameterization(batch: batch),
                                                  seed: render.seed) { step, value in
            Progress.update(text, step: step, of: render.steps, String(format: "objective %.3f", value))
        }
        Progress.finish()
        let single = try Objective.parse(text)
        let size = render.size, plane = 3 * size * size, values = result.images.scalars
        var runs: [[String: Any]] = [], pictures: [RGBImage] = []
        for i in 0..<batch {
            let image = try RGBImage(planar: Array(values[(i * plane)..<((i + 1) * plane)]), channels: 3, width: size, height: size)
            let file = text.replacingOccurrences(of: ":", with: "_") + (batch > 1 ? "_\(i)" : "") + ".png"
            try ImageCodec.write(image, to: folder.appendingPathComponent(file))
            pictures.append(image)
            let final = try single.evaluate(model: model, images: try result.images.sliced(axis: 0, i..<(i + 1)))
            runs.append(["objective": obj.name, "image": file, "finalObjective": Double(final),
                         "batchHistory": result.history.map(Double.init), "msPerStep": result.millisecondsPerStep])
        }
        if pictures.count > 1 {
            try ImageCodec.write(try Picture.grid(pictures, columns: min(8, pictures.count)), to: folder.appendingPathComponent("grid.png"))
        }
        return runs
    }
}
