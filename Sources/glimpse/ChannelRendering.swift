import Foundation
import GlimpseCore
import GlimpseFormats
import GlimpseImage
import GlimpseModels
import GlimpseVis

/// Renders channels of a layer in fixed chunks of `batch` (one optimisation per chunk, seed = base seed + chunk
/// index), writing `<layer>_<channel>.png` and `<layer>_<channel>.json` atomically. With `resume`, a chunk whose
/// channels all have both files is read back instead of rendered; because chunks and seeds do not depend on what
/// was skipped, a resumed run writes the same images as an uninterrupted one.
struct ChannelRendering {
    let model: any Classifier
    let options: RenderOptions
    let batch: Int
    let folder: URL
    var resume = true
    /// Mean over this many seeded standard transforms of the final image, recorded as `robustObjective` (0: skip).
    var robustSamples = 16
    /// Label prefix of the progress line ("[layer 2/3] ").
    var progressPrefix = ""

    /// One channel's result, as written to its JSON file.
    struct Record: Codable {
        let layer: String
        let channel: Int
        let image: String
        let finalObjective: Double
        let robustObjective: Double?
        /// MACO runs: the image composited over white with MACO's transparency as alpha.
        var transparencyImage: String? = nil
        let history: [Float]
        let msPerStep: Double
        let chunkSeed: UInt64
        let batch: Int
    }

    static func stem(_ layer: String, _ channel: Int) -> String { "\(layer)_\(channel)" }

    /// Renders (or reads back) every channel; returns the records in channel order and how many were skipped.
    func run(layer: String, channels: [Int]) throws -> (records: [Record], skipped: Int) {
        var records: [Record] = [], skipped = 0
        let chunks = stride(from: 0, to: channels.count, by: batch).map { Array(channels[$0..<min($0 + batch, channels.count)]) }
        for (index, chunk) in chunks.enumerated() {
            if resume, let done = try? chunk.map(readRecord(layer)) {
                records += done
                skipped += chunk.count
                Progress.line("\(progressPrefix)\(layer) channels \(chunk.first!)-\(chunk.last!): already done, skipped")
                continue
            }
            records += try render(layer: layer, chunk: chunk, seed: options.seed &+ UInt64(index),
                                  label: "\(progressPrefix)\(layer) ch \(chunk.first!)-\(chunk.last!) (chunk \(index + 1)/\(chunks.count))")
        }
        return (records, skipped)
    }

    /// The record of a finished channel; throws when its PNG or JSON is missing or unreadable.
    private func readRecord(_ layer: String) -> (Int) throws -> Record {
        { channel in
            let stem = Self.stem(layer, channel)
            guard FileManager.default.fileExists(atPath: folder.appendingPathComponent(stem + ".png").path) else {
                throw VisError.badOption("missing \(stem).png")
            }
            return try JSONDecoder().decode(Record.self, from: Data(contentsOf: folder.appendingPathComponent(stem + ".json")))
        }
    }

    private func render(layer: String, chunk: [Int], seed: UInt64, label: String) throws -> [Record] {
        let objective = chunk.enumerated().dropFirst()
            .reduce(Objective.channel(layer, chunk[0], batch: 0)) { $0 + .channel(layer, $1.element, batch: $1.offset) }
        var renderer = try options.renderer()
        renderer.accumulatesTransparency = options.param == "maco"
        let result = try renderer.render(model: model, objective: objective, parameterization: options.parameterization(batch: chunk.count),
                                         seed: seed) { step, value in
            Progress.update(label, step: step, of: options.steps, String(format: "objective %.3f", value))
        }
        Progress.finish()
        let size = options.size, plane = 3 * size * size
        let values = result.images.scalars
        return try chunk.enumerated().map { i, c in
            let image = try RGBImage(planar: Array(values[(i * plane)..<((i + 1) * plane)]), channels: 3, width: size, height: size)
            let stem = Self.stem(layer, c)
            let single = try result.images.sliced(axis: 0, i..<(i + 1))
            let channelObjective = Objective.channel(layer, c)
            let final = try channelObjective.evaluate(model: model, images: single)
            let robust = robustSamples > 0
                ? Double(try channelObjective.evaluate(model: model, images: single, samples: robustSamples, seed: 1234)) : nil
            var record = Record(layer: layer, channel: c, image: stem + ".png", finalObjective: Double(final), robustObjective: robust,
                                history: result.history, msPerStep: result.millisecondsPerStep, chunkSeed: seed, batch: chunk.count)
            if let transparency = result.transparency {
                let alpha = try transparency.sliced(axis: 0, i..<(i + 1)).scalars
                record.transparencyImage = stem + "_transparency.png"
                try ImageCodec.write(Self.overWhite(Array(values[(i * plane)..<((i + 1) * plane)]), alpha: alpha, size: size),
                                     to: folder.appendingPathComponent(stem + "_transparency.png"))
            }
            try ImageCodec.write(image, to: folder.appendingPathComponent(stem + ".png"))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(encoder.encode(record), to: folder.appendingPathComponent(stem + ".json"))
            return record
        }
    }

    /// Planar RGB `rgb` [3, size, size] composited over white with `alpha` [size, size] as opacity, the way MACO
    /// shows its transparency: alpha clipped to its 1st..99th percentiles and scaled to [0, 1].
    static func overWhite(_ rgb: [Float], alpha: [Float], size: Int) throws -> RGBImage {
        let sorted = alpha.sorted()
        let lo = sorted[sorted.count / 100], hi = sorted[sorted.count - 1 - sorted.count / 100]
        let a = alpha.map { hi > lo ? Swift.min(Swift.max(($0 - lo) / (hi - lo), 0), 1) : 1 }
        let n = size * size
        let out = (0..<(3 * n)).map { k in a[k % n] * rgb[k] + (1 - a[k % n]) }
        return try RGBImage(planar: out, channels: 3, width: size, height: size)
    }
}
