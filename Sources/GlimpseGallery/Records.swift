import Foundation

/// One channel visualization, as `glimpse visualize` and `glimpse gallery demo` record it.
public struct VisualizationRecord: Codable, Sendable {
    public var model: String
    public var layer: String
    public var channel: Int
    /// PNG path relative to the gallery folder.
    public var image: String
    public var finalObjective: Double
    public var steps: Int
    public var seed: UInt64
    public var command: String
    /// What was optimised ("channel" when absent; "class-agnostic" for the dual objective).
    public var objective: String?
    /// For objectives tied to images (the class-agnostic view): the images, relative to the gallery folder.
    public var sources: [String]?

    public init(model: String, layer: String, channel: Int, image: String, finalObjective: Double, steps: Int, seed: UInt64,
                command: String, objective: String? = nil, sources: [String]? = nil) {
        (self.model, self.layer, self.channel, self.image, self.finalObjective, self.steps, self.seed, self.command) =
            (model, layer, channel, image, finalObjective, steps, seed, command)
        (self.objective, self.sources) = (objective, sources)
    }
}

/// One saliency map of one photo, with its faithfulness scores when they were measured.
public struct SaliencyRecord: Codable, Sendable {
    public var model: String
    public var photo: String
    /// Input picture (as the model saw it) relative to the gallery folder.
    public var input: String
    public var targetClass: Int
    public var className: String
    public var probability: Double
    public var method: String
    public var paper: String
    /// Overlay PNG and raw map `.npy`, relative to the gallery folder.
    public var overlay: String
    public var map: String
    public var milliseconds: Double
    public var command: String
    /// Metric name → score (for example "deletion" and "insertion" AUC).
    public var scores: [String: Double]?
    /// Curve name → class probability after each step (for example "deletion", "insertion"), x spread over [0, 1].
    public var curves: [String: [Double]]?

    public init(model: String, photo: String, input: String, targetClass: Int, className: String, probability: Double,
                method: String, paper: String, overlay: String, map: String, milliseconds: Double, command: String,
                scores: [String: Double]? = nil, curves: [String: [Double]]? = nil) {
        (self.model, self.photo, self.input, self.targetClass, self.className, self.probability) =
            (model, photo, input, targetClass, className, probability)
        (self.method, self.paper, self.overlay, self.map, self.milliseconds, self.command) = (method, paper, overlay, map, milliseconds, command)
        (self.scores, self.curves) = (scores, curves)
    }
}

/// A prediction: class index, name and probability.
public struct PredictionRecord: Codable, Sendable {
    public var classIndex: Int
    public var className: String
    public var probability: Double

    public init(classIndex: Int, className: String, probability: Double) {
        (self.classIndex, self.className, self.probability) = (classIndex, className, probability)
    }
}

/// One attack on one photo against one interpreter.
public struct AttackGalleryRecord: Codable, Sendable {
    public var model: String
    public var photo: String
    public var attack: String
    public var interpreter: String
    /// PNGs relative to the gallery folder; `edgeMap` only for edge-guided attacks.
    public var clean: String, adversarial: String, perturbation: String
    public var edgeMap: String?
    public var cleanMap: String, adversarialMap: String
    public var cleanPrediction: PredictionRecord, adversarialPrediction: PredictionRecord
    public var success: Bool
    /// Metric name → value (for example "iou", "mapL1", "linf", "l2").
    public var metrics: [String: Double]
    public var milliseconds: Double
    public var command: String

    public init(model: String, photo: String, attack: String, interpreter: String, clean: String, adversarial: String,
                perturbation: String, edgeMap: String?, cleanMap: String, adversarialMap: String,
                cleanPrediction: PredictionRecord, adversarialPrediction: PredictionRecord, success: Bool,
                metrics: [String: Double], milliseconds: Double, command: String) {
        (self.model, self.photo, self.attack, self.interpreter) = (model, photo, attack, interpreter)
        (self.clean, self.adversarial, self.perturbation, self.edgeMap) = (clean, adversarial, perturbation, edgeMap)
        (self.cleanMap, self.adversarialMap) = (cleanMap, adversarialMap)
        (self.cleanPrediction, self.adversarialPrediction, self.success) = (cleanPrediction, adversarialPrediction, success)
        (self.metrics, self.milliseconds, self.command) = (metrics, milliseconds, command)
    }
}

/// One named series of a line plot.
public struct PlotSeries: Codable, Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]

    public init(name: String, x: [Double], y: [Double]) { (self.name, self.x, self.y) = (name, x, y) }
}

/// A line plot drawn as SVG on an experiment page.
public struct PlotRecord: Codable, Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [PlotSeries]

    public init(title: String, xLabel: String, yLabel: String, series: [PlotSeries]) {
        (self.title, self.xLabel, self.yLabel, self.series) = (title, xLabel, yLabel, series)
    }
}

/// The summary of an experiment run: a table and plots.
public struct ExperimentRecord: Codable, Sendable {
    public var title: String
    public var columns: [String]
    public var rows: [[String]]
    public var plots: [PlotRecord]
    public var command: String

    public init(title: String, columns: [String], rows: [[String]], plots: [PlotRecord], command: String) {
        (self.title, self.columns, self.rows, self.plots, self.command) = (title, columns, rows, plots, command)
    }
}

/// Everything a gallery is built from; stored as `records.json` next to the pages.
public struct GalleryRecords: Codable, Sendable {
    public var title: String
    public var visualizations: [VisualizationRecord] = []
    public var saliency: [SaliencyRecord] = []
    public var attacks: [AttackGalleryRecord] = []
    public var experiments: [ExperimentRecord] = []

    public init(title: String) { self.title = title }

    enum CodingKeys: String, CodingKey { case title, visualizations, saliency, attacks, experiments }

    /// Every list may be absent (a record file of one kind only).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        title = try c.decodeIfPresent(String.self, forKey: .title) ?? "Glimpse gallery"
        visualizations = try c.decodeIfPresent([VisualizationRecord].self, forKey: .visualizations) ?? []
        saliency = try c.decodeIfPresent([SaliencyRecord].self, forKey: .saliency) ?? []
        attacks = try c.decodeIfPresent([AttackGalleryRecord].self, forKey: .attacks) ?? []
        experiments = try c.decodeIfPresent([ExperimentRecord].self, forKey: .experiments) ?? []
    }

    /// Merges several record files (later files append; the last title wins).
    public static func load(_ urls: [URL]) throws -> GalleryRecords {
        var all = GalleryRecords(title: "Glimpse gallery")
        for url in urls {
            let r: GalleryRecords
            do { r = try JSONDecoder().decode(GalleryRecords.self, from: Data(contentsOf: url)) } catch {
                throw SiteBuilder.BuildError.badRecords("\(url.path) is not a gallery record file: \(error)")
            }
            all.title = r.title
            all.visualizations += r.visualizations
            all.saliency += r.saliency
            all.attacks += r.attacks
            all.experiments += r.experiments
        }
        return all
    }

    /// Every file the records point at, relative to the gallery folder.
    var referencedFiles: [String] {
        visualizations.flatMap { [$0.image] + ($0.sources ?? []) }
            + saliency.flatMap { [$0.overlay, $0.input, $0.map] }
            + attacks.flatMap { [$0.clean, $0.adversarial, $0.perturbation, $0.cleanMap, $0.adversarialMap] + ($0.edgeMap.map { [$0] } ?? []) }
    }
}
