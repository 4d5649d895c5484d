import ArgumentParser
import Foundation
import GlimpseCore
import GlimpseImage
import GlimpseModels
import GlimpseVis

struct Visualize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Feature visualization: synthesize images that maximise channels of a layer.",
        discussion: """
        Lucid-style activation maximisation: Fourier-space parameters (1/f scale) with ImageNet colour decorrelation
        and a sigmoid, Lucid's standard transforms (pad 12, jitter 8, scale 0.90-1.10, rotate -10..10 deg, jitter 4)
        drawn from the seed, Adam (lr 0.05), the redirected ReLU gradient for the first 16 steps. Channels are
        optimised --batch at a time as one batch. With --objective, --batch images of that one objective are
        optimised together. Writes one PNG per image, grid.png, and visualize.json (settings, seed, objective per
        step, timing). Same seed, same images.

        Example: glimpse visualize --layer _blocks.10 --channels 0-7 --steps 256 --out out/vis
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "Layer to visualise (see `glimpse layers`).")
    var layer: String?

    @Option(name: .long, help: "Channels of --layer: a range 0-15, a list 1,5,9, or both (0-3,8).")
    var channels: String = "0-3"

    @Option(name: .long, help: "One objective \"layer:channel\" (or \"layer\" for DeepDream) instead of --layer/--channels.")
    var objective: String?

    @Option(name: .long, help: "Parameterization: fft or pixel.")
    var param: String = "fft"

    @Option(name: .long, help: "Optimisation steps.")
    var steps: Int = 512

    @Option(name: .long, help: "Image side in pixels.")
    var size: Int = 224

    @Option(name: .long, help: "Images optimised together.")
    var batch: Int = 4

    @Option(name: .long, help: "Seed of the initial parameters and the transforms.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Output folder.")
    var out: String

    func validate() throws {
        guard ["fft", "pixel"].contains(param) else { throw ValidationError("--param must be fft or pixel, found '\(param)'") }
        guard (1...100_000).contains(steps) else { throw ValidationError("--steps must be between 1 and 100000") }
        guard (32...1024).contains(size) else { throw ValidationError("--size must be between 32 and 1024") }
        guard (1...64).contains(batch) else { throw ValidationError("--batch must be between 1 and 64") }
        guard (objective == nil) != (layer == nil) else { throw ValidationError("give either --layer (with --channels) or --objective") }
        if let objective { _ = try Objective.parse(objective) }
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
    func channelCount(of layer: String, model: any Classifier) throws -> Int {
        guard model.layerPaths.contains(layer) else { throw ModelError.unknownLayer(layer, known: model.layerPaths) }
        let side = max(model.minimumInputSize, 32)
        let probe = Tensor(repeating: 0.5, shape: [1, model.inputChannels, side, side])
        let shape = try withoutGradient { try model.run(probe, capturing: [layer]).layer(layer).shape }
        return shape.count >= 2 ? shape[1] : 0
    }

    func run() throws {
        let model = try modelOptions.load()
        let folder = URL(fileURLWithPath: out)
        var records: [[String: Any]] = []
        var pictures: [RGBImage] = []
        let start = Date()
        if let objective {
            let obj = try Objective.parse(objective)
            let parts = objective.split(separator: ":")
            let count = try channelCount(of: String(parts[0]), model: model)
            if parts.count == 2, let channel = Int(parts[1]), channel >= count {
                throw VisError.badObjective("channel \(channel) out of range: \(parts[0]) has \(count) channels (0-\(count - 1))")
            }
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var renderer = Renderer()
            renderer.steps = steps
            let parameterization: ImageParameterization = param == "fft"
                ? try FourierImage(batch: batch, height: size, width: size) : try PixelImage(batch: batch, height: size, width: size)
            let result = try renderer.render(model: model, objective: obj, parameterization: parameterization, seed: seed) { step, value in
                Progress.update(objective, step: step, of: steps, String(format: "objective %.3f", value))
            }
            Progress.finish()
            let plane = 3 * size * size, values = result.images.scalars
            for i in 0..<batch {
                let image = try RGBImage(planar: Array(values[(i * plane)..<((i + 1) * plane)]), channels: 3, width: size, height: size)
                let file = objective.replacingOccurrences(of: ":", with: "_") + (batch > 1 ? "_\(i)" : "") + ".png"
                try ImageCodec.write(image, to: folder.appendingPathComponent(file))
                pictures.append(image)
                let final = try obj.evaluate(model: model, images: try result.images.sliced(axis: 0, i..<(i + 1)))
                records.append(["objective": obj.name, "image": file, "finalObjective": Double(final),
                                "batchHistory": result.history.map(Double.init), "msPerStep": result.millisecondsPerStep])
            }
        } else if let layer {
            let wanted = try parsedChannels(), count = try channelCount(of: layer, model: model)
            if let bad = wanted.first(where: { $0 >= count }) {
                throw VisError.badObjective("channel \(bad) out of range: \(layer) has \(count) channels (0-\(count - 1))")
            }
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let rendered = try Outputs.renderChannels(model: model, layer: layer, channels: wanted, steps: steps,
                                                      size: size, batch: batch, seed: seed, param: param, folder: folder)
            for r in rendered {
                pictures.append(try ImageCodec.load(contentsOf: folder.appendingPathComponent(r.file)))
                records.append(["layer": r.layer, "channel": r.channel, "image": r.file, "finalObjective": r.objective,
                                "batchHistory": r.history.map(Double.init), "msPerStep": r.msPerStep])
            }
        }
        if pictures.count > 1 {
            try ImageCodec.write(try Picture.grid(pictures, columns: min(8, pictures.count)), to: folder.appendingPathComponent("grid.png"))
        }
        let doc: [String: Any] = [
            "model": model.name, "param": param, "steps": steps, "size": size, "batch": batch, "seed": seed,
            "transforms": "lucid-standard", "optimizer": "adam lr 0.05", "redirectedReluSteps": 16,
            "seconds": Date().timeIntervalSince(start), "runs": records,
            "notes": "finalObjective: on the final untransformed image; batchHistory: the batch's objective on each step's transformed images (--layer: sum of the per-image channel means; --objective: mean over the batch)",
            "command": CommandLine.arguments.joined(separator: " "),
        ]
        try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys])
            .write(to: folder.appendingPathComponent("visualize.json"), options: .atomic)
        print("wrote \(pictures.count) images and visualize.json to \(out)")
    }
}
