import ArgumentParser
import Foundation
import GlimpseCore
import GlimpseImage
import GlimpseModels
import GlimpseVis

/// `visualize --class-agnostic`: The Mind's Eye's dual objective on the features of an image set.
struct ClassAgnosticOptions: ParsableArguments {
    @Flag(name: .customLong("class-agnostic"), help: "Synthesise the --layer features of the --images set (dual objective).")
    var enabled = false

    @Option(name: .long, help: ArgumentHelp("Folder of PNG/JPEG images whose features are the targets.", valueName: "dir"))
    var images: String?

    @Option(name: .long, help: "Targets: mean (one image), each (one per image), or clusters:K (k-means of the features).")
    var targets: String = "mean"

    @Option(name: .long, help: "Channels of the target whose activation is maximised (the strongest ones).")
    var topK: Int = 50

    @Option(name: .long, help: "Weight of the Charbonnier distance between pooled features and the target.")
    var distanceWeight: Float = 1

    @Option(name: .long, help: "Layer whose mean |activation| is penalised (an earlier one).")
    var l1Layer: String?

    @Option(name: .long, help: "Weight of the --l1-layer penalty.")
    var l1: Float = 0

    @Option(name: .long, help: "Start from noise or from each target's weighted mean image (images; fft or pixel only).")
    var start: String = "noise"

    func validate() throws {
        guard enabled else { return }
        guard images != nil else { throw ValidationError("--class-agnostic needs --images DIR") }
        _ = try mode()
        guard topK >= 1 else { throw ValidationError("--top-k must be >= 1") }
        guard distanceWeight >= 0, l1 >= 0 else { throw ValidationError("--distance-weight and --l1 must be >= 0") }
        guard ["noise", "images"].contains(start) else { throw ValidationError("--start must be noise or images, found '\(start)'") }
        if l1 > 0, l1Layer == nil { throw ValidationError("--l1 needs --l1-layer") }
    }

    func mode() throws -> FeatureTargets.Mode {
        switch targets {
        case "mean": return .mean
        case "each": return .each
        default:
            let parts = targets.split(separator: ":")
            guard parts.count == 2, parts[0] == "clusters", let k = Int(parts[1]), k >= 1 else {
                throw ValidationError("--targets must be mean, each or clusters:K, found '\(targets)'")
            }
            return .clusters(k)
        }
    }

    /// Builds the targets, renders one image per target, writes `target_<i>.png` and returns JSON fields.
    func run(model: any Classifier, layer: String, render: RenderOptions, folder: URL) throws -> [String: Any] {
        for l in [layer] + (l1Layer.map { [$0] } ?? []) where !model.layerPaths.contains(l) {
            throw ModelError.unknownLayer(l, known: model.layerPaths)
        }
        let (set, names) = try ImageFolder.load(URL(fileURLWithPath: images ?? "."), side: render.size)
        let built = try FeatureTargets.build(model: model, layer: layer, images: set, mode: mode(), seed: render.seed)
        let count = built.vectors.count
        guard count <= 64 else { throw ValidationError("\(count) targets; at most 64 images are optimised together (use clusters:K)") }
        var objective = try Objective.classAgnostic(layer, target: built.vectors[0], topK: topK, distanceWeight: distanceWeight, batch: 0)
        for b in 1..<count {
            objective = objective + (try Objective.classAgnostic(layer, target: built.vectors[b], topK: topK,
                                                                 distanceWeight: distanceWeight, batch: b))
        }
        if let l1Layer, l1 > 0 { objective = objective - l1 * Objective.meanAbs(l1Layer) }
        let param = try render.parameterization(batch: count)
        var from: Tensor?
        if start == "images" {
            guard let invertible = param as? any InvertibleParameterization else {
                throw ValidationError("--start images needs --param fft or pixel")
            }
            from = try invertible.parameters(for: built.startImages)
        }
        let result = try render.renderer().render(model: model, objective: objective, parameterization: param, seed: render.seed,
                                                  from: from) { step, value in
            Progress.update("class-agnostic \(layer)", step: step, of: render.steps, String(format: "objective %.3f", value))
        }
        Progress.finish()
        let size = render.size, plane = 3 * size * size, values = result.images.scalars
        var runs: [[String: Any]] = []
        for b in 0..<count {
            let image = try RGBImage(planar: Array(values[(b * plane)..<((b + 1) * plane)]), channels: 3, width: size, height: size)
            let file = "target_\(b).png"
            try ImageCodec.write(image, to: folder.appendingPathComponent(file))
            let single = try Objective.classAgnostic(layer, target: built.vectors[b], topK: topK, distanceWeight: distanceWeight)
            let x = try result.images.sliced(axis: 0, b..<(b + 1))
            let startValue = try single.evaluate(model: model, images: built.startImages.sliced(axis: 0, b..<(b + 1)))
            runs.append(["image": file, "members": built.members[b].map { ["file": names[$0.index], "weight": $0.weight] },
                         "finalObjective": Double(try single.evaluate(model: model, images: x)),
                         "objectiveOfTheTargetImages": Double(startValue)])
        }
        return ["mode": "class-agnostic", "layer": layer, "targets": targets, "topK": topK, "distanceWeight": distanceWeight,
                "l1Layer": l1Layer ?? NSNull(), "l1": l1, "start": start, "images": names,
                "batchHistory": result.history.map(Double.init), "msPerStep": result.millisecondsPerStep, "runs": runs]
    }
}
