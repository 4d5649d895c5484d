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

    public init(model: String, layer: String, channel: Int, image: String, finalObjective: Double, steps: Int, seed: UInt64, command: String) {
        (self.model, self.layer, self.channel, self.image, self.finalObjective, self.steps, self.seed, self.command) =
            (model, layer, channel, image, finalObjective, steps, seed, command)
    }
}

/// One saliency map of one photo.
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

    public init(model: String, photo: String, input: String, targetClass: Int, className: String, probability: Double,
                method: String, paper: String, overlay: String, map: String, milliseconds: Double, command: String) {
        (self.model, self.photo, self.input, self.targetClass, self.className, self.probability) =
            (model, photo, input, targetClass, className, probability)
        (self.method, self.paper, self.overlay, self.map, self.milliseconds, self.command) = (method, paper, overlay, map, milliseconds, command)
    }
}

/// Everything a gallery is built from; stored as `records.json` next to the pages.
public struct GalleryRecords: Codable, Sendable {
    public var title: String
    public var visualizations: [VisualizationRecord] = []
    public var saliency: [SaliencyRecord] = []

    public init(title: String) { self.title = title }

    /// Merges several record files (later files append).
    public static func load(_ urls: [URL]) throws -> GalleryRecords {
        var all = GalleryRecords(title: "Glimpse gallery")
        for url in urls {
            let r = try JSONDecoder().decode(GalleryRecords.self, from: Data(contentsOf: url))
            all.title = r.title
            all.visualizations += r.visualizations
            all.saliency += r.saliency
        }
        return all
    }
}
