import ArgumentParser
import Foundation
import GlimpseAttacks
import GlimpseCore
import GlimpseFormats
import GlimpseGallery
import GlimpseImage
import GlimpseMetrics
import GlimpseModels
import GlimpseSaliency

extension Gallery {
    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compute a gallery for the default model and the sample photos, then build the site.",
            discussion: """
            Five stages, each with a progress bar: (1) channel visualizations of several layers (Fourier
            parameterization, Lucid transforms, Adam); (2) every saliency method on each photo (the costly
            perturbation methods on the first --heavy-photos) with deletion and insertion curves (RISE protocol);
            (3) the class-agnostic view of one layer (the photos' features, two clusters); (4) an AdvEdge attack
            (quick preset) against Grad-CAM on the first photos, with clean and adversarial maps; (5) the site:
            index, layers, saliency, attacks and experiments pages from records.json. Open <out>/index.html in a
            browser (no server needed).
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

        @Option(name: .long, help: "Saliency methods, comma-separated (default: all).")
        var methods: String?

        @Option(name: .long, help: "Photos that also get the methods costing hundreds of forward passes per map (Score-CAM, Abs-CAM, RISE, MASK): the first N.")
        var heavyPhotos: Int = 3

        @Option(name: .long, help: "Pixels changed per point of the deletion/insertion curves (0: no curves).")
        var curveStep: Int = 1792

        @Option(name: .long, help: "Photos attacked with AdvEdge against Grad-CAM (the first N; 0: none).")
        var attackPhotos: Int = 1

        @Option(name: .long, help: "Layer of the class-agnostic view of the photos (Mind's Eye dual objective, 2 clusters of the photos); empty: none.")
        var classAgnosticLayer: String = "_blocks.12"

        @Option(name: .long, help: "Seed of the visualizations, the sampled saliency methods and the attack.")
        var seed: UInt64 = 0

        func validate() throws {
            guard (1...64).contains(channels) else { throw ValidationError("--channels must be between 1 and 64") }
            guard (1...10_000).contains(steps) else { throw ValidationError("--steps must be between 1 and 10000") }
            guard curveStep >= 0 else { throw ValidationError("--curve-step must be 0 or positive") }
            guard attackPhotos >= 0 else { throw ValidationError("--attack-photos must be 0 or positive") }
            guard heavyPhotos >= 0 else { throw ValidationError("--heavy-photos must be 0 or positive") }
            _ = try methodList()
        }

        func methodList() throws -> [SaliencyMethod] {
            guard let methods else { return SaliencyMethod.modelOnlyCases }
            return try methods.split(separator: ",").map { name in
                guard let m = SaliencyMethod(rawValue: String(name)) else {
                    throw ValidationError("unknown saliency method '\(name)'; known: \(SaliencyMethod.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return m
            }
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
            let photoFolder = photos.map { URL(fileURLWithPath: $0) } ?? ModelZoo.cacheDirectory.appendingPathComponent("photos")
            let files = try FileManager.default.contentsOfDirectory(atPath: photoFolder.path)
                .filter { ["png", "jpg", "jpeg"].contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
            guard !files.isEmpty else { throw ValidationError("no PNG or JPEG photos in \(photoFolder.path) (run scripts/setup.sh or pass --photos)") }

            for layer in layerList {
                let rendered = try Outputs.renderChannels(model: model, layer: layer, channels: Array(0..<channels), steps: steps,
                                                          size: model.inputSize, batch: channels, seed: seed, folder: images)
                records.visualizations += rendered.map {
                    VisualizationRecord(model: model.name, layer: $0.layer, channel: $0.channel, image: "images/\($0.file)",
                                        finalObjective: $0.objective, steps: steps, seed: seed, command: command)
                }
            }
            records.saliency = try saliency(model: model, files: files, photoFolder: photoFolder, images: images, command: command)
            if !classAgnosticLayer.isEmpty {
                records.visualizations += try classAgnostic(model: model, layer: classAgnosticLayer, photoFolder: photoFolder, photoCount: files.count,
                                                            images: images, command: command)
            }
            records.attacks = try attacks(model: model, files: Array(files.prefix(attackPhotos)), photoFolder: photoFolder,
                                          images: images, command: command)
            let index = try SiteBuilder.build(records, into: folder, assets: assets)
            print(String(format: "gallery built in %.0f s: open %@", Date().timeIntervalSince(started), index.path))
        }

        /// Every method on every photo, with deletion/insertion curves and their areas.
        func saliency(model: any Classifier, files: [String], photoFolder: URL, images: URL, command: String) throws -> [SaliencyRecord] {
            var options = SaliencyMethod.Options()
            options.seed = seed
            // Demo-sized budgets for the sampled methods (the library defaults are the papers').
            options.riseMasks = 1000
            options.maskIterations = 150
            let methods = try methodList()
            let curves = DeletionInsertion(step: max(curveStep, 1), batchSize: 16)
            var out: [SaliencyRecord] = []
            let heavy: Set<SaliencyMethod> = [.scorecam, .scorecamOriginal, .abscam, .rise, .mask]
            let total = files.indices.reduce(0) { $0 + ($1 < heavyPhotos ? methods.count : methods.filter { !heavy.contains($0) }.count) }
            var done = 0
            for (photoIndex, file) in files.enumerated() {
                let x = try model.preprocess(ImageCodec.load(contentsOf: photoFolder.appendingPathComponent(file)))
                let probabilities = try model.logits(x).softmax(axis: 1).scalars
                let cls = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
                let stem = (file as NSString).deletingPathExtension
                let picture = try RGBImage(planar: x.scalars, channels: 3, width: x.shape[3], height: x.shape[2])
                try ImageCodec.write(picture, to: images.appendingPathComponent("\(stem)_input.png"))
                for method in methods where photoIndex < heavyPhotos || !heavy.contains(method) {
                    Progress.update("saliency", step: done, of: total, "\(stem) \(method.rawValue)")
                    let m = try Outputs.saliency(SaliencySpec(method), model: model, x: x, picture: picture, targetClass: cls, stem: stem,
                                                 options: options, npyFolder: images, pngFolder: images)
                    var scores: [String: Double]?, curveValues: [String: [Double]]?
                    if curveStep > 0 {
                        let deletion = try curves.evaluate(.deletion, model: model, x, map: m.values, classIndex: cls)
                        let insertion = try curves.evaluate(.insertion, model: model, x, map: m.values, classIndex: cls)
                        scores = ["deletion": deletion.auc, "insertion": insertion.auc]
                        curveValues = ["deletion": deletion.scores.map(Double.init), "insertion": insertion.scores.map(Double.init)]
                    }
                    out.append(SaliencyRecord(
                        model: model.name, photo: stem, input: "images/\(stem)_input.png", targetClass: cls,
                        className: ImageNetClasses.name(cls), probability: Double(probabilities[cls]), method: method.rawValue,
                        paper: method.paper, overlay: "images/\(m.png!)", map: "images/\(m.npy!)", milliseconds: m.milliseconds,
                        command: command, scores: scores, curves: curveValues))
                    done += 1
                }
            }
            Progress.update("saliency", step: done, of: total)
            Progress.finish()
            return out
        }

        /// The class-agnostic view: the photos' features at `layer`, clustered in two, each cluster synthesised
        /// (starting from its weighted mean image), shown next to the photos it came from.
        func classAgnostic(model: any Classifier, layer: String, photoFolder: URL, photoCount: Int, images: URL,
                           command: String) throws -> [VisualizationRecord] {
            guard !layer.isEmpty else { return [] }
            guard model.layerPaths.contains(layer) else { throw ModelError.unknownLayer(layer, known: model.layerPaths) }
            let folder = images.appendingPathComponent("class-agnostic")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let options = try ClassAgnosticOptions.parse(["--class-agnostic", "--images", photoFolder.path, "--targets", photoCount >= 2 ? "clusters:2" : "mean",
                                                          "--start", "images"])
            let render = try RenderOptions.parse(["--steps", "\(steps)", "--size", "160", "--seed", "\(seed)"])
            let doc = try options.run(model: model, layer: layer, render: render, folder: folder)
            let runs = doc["runs"] as? [[String: Any]] ?? []
            return runs.enumerated().map { i, run in
                let members = (run["members"] as? [[String: Any]] ?? []).compactMap { $0["file"] as? String }
                return VisualizationRecord(
                    model: model.name, layer: layer, channel: i, image: "images/class-agnostic/\(run["image"] as? String ?? "")",
                    finalObjective: run["finalObjective"] as? Double ?? .nan, steps: steps, seed: seed, command: command,
                    objective: "class-agnostic", sources: members.map { "images/\(($0 as NSString).deletingPathExtension)_input.png" })
            }
        }

        /// AdvEdge (quick preset) against Grad-CAM: the pictures and metrics of the attacks page.
        func attacks(model: any Classifier, files: [String], photoFolder: URL, images: URL, command: String) throws -> [AttackGalleryRecord] {
            let settings = AttackSettings(method: .advedge, interpreter: "gradcam", preset: .quick, seed: seed)
            return try files.map { file in
                let x = try model.preprocess(ImageCodec.load(contentsOf: photoFolder.appendingPathComponent(file)))
                let label = Prediction.argmax(try model.logits(x))[0]
                let stem = (file as NSString).deletingPathExtension
                let name = "\(stem)_advedge_gradcam"
                let run = try AttackRun.run(settings, model: model, image: stem, x: x, label: label) { step, total in
                    Progress.update("attack \(stem) advedge (quick)", step: step, of: total)
                }
                Progress.finish()
                try AttackOutputs.write(run, clean: x, name: name, folder: images)
                let (h, w) = (x.shape[2], x.shape[3])
                try ImageCodec.write(RGBImage(planar: x.scalars, channels: 3, width: w, height: h),
                                     to: images.appendingPathComponent("\(name)_clean.png"))
                let edges = EdgeMap.sobel(planar: x.scalars, channels: 3, width: w, height: h)
                try ImageCodec.write(Picture.heatmap(edges, width: w, height: h, colormap: .gray),
                                     to: images.appendingPathComponent("\(name)_edges.png"))
                let r = run.record
                let probabilities = try model.logits(x).softmax(axis: 1).scalars
                let adversarialProbabilities = try model.logits(run.adversarial).softmax(axis: 1).scalars
                return AttackGalleryRecord(
                    model: model.name, photo: stem, attack: "advedge (quick)", interpreter: "gradcam",
                    clean: "images/\(name)_clean.png", adversarial: "images/\(name)_adv.png",
                    perturbation: "images/\(name)_perturbation.png", edgeMap: "images/\(name)_edges.png",
                    cleanMap: "images/\(name)_map_clean.png", adversarialMap: "images/\(name)_map_adv.png",
                    cleanPrediction: PredictionRecord(classIndex: label, className: ImageNetClasses.name(label),
                                                      probability: Double(probabilities[label])),
                    adversarialPrediction: PredictionRecord(classIndex: r.prediction, className: ImageNetClasses.name(r.prediction),
                                                            probability: Double(adversarialProbabilities[r.prediction])),
                    success: r.success,
                    metrics: ["iou": r.iouMean, "mapL1": r.mapL1, "mapL2": r.mapL2, "linf": r.linf, "l2": r.l2,
                              "edgeFraction": r.edgeFraction, "ssim": r.ssim],
                    milliseconds: r.seconds * 1000, command: command)
            }
        }
    }
}
