import Foundation
import GlimpseCore
import GlimpseFormats
import GlimpseImage
import GlimpseModels
import GlimpseSaliency
import GlimpseVis

/// Work shared by `visualize`, `saliency` and `gallery demo`: compute, then write pictures and arrays atomically.
enum Outputs {
    /// One rendered channel: its PNG file name and final objective.
    struct Channel {
        let layer: String
        let channel: Int
        let file: String
        let objective: Double
        let history: [Float]
        let msPerStep: Double
    }

    /// Renders `channels` of `layer`, `batch` at a time, writing `<layer>_<channel>.png` (and `.json`) into `folder`.
    static func renderChannels(model: any Classifier, layer: String, channels: [Int], steps: Int, size: Int, batch: Int,
                               seed: UInt64, param: String = "fft", folder: URL) throws -> [Channel] {
        let options = try RenderOptions.parse(["--steps", String(steps), "--size", String(size), "--seed", String(seed), "--param", param])
        var job = ChannelRendering(model: model, options: options, batch: batch, folder: folder)
        job.resume = false
        job.robustSamples = 0
        return try job.run(layer: layer, channels: channels).records.map {
            Channel(layer: $0.layer, channel: $0.channel, file: $0.image, objective: $0.finalObjective, history: $0.history,
                    msPerStep: $0.msPerStep)
        }
    }

    /// One computed saliency map with the files written for it.
    struct Map {
        let method: SaliencySpec
        /// The map [H, W] itself.
        let values: Tensor
        let png: String?
        let npy: String?
        let milliseconds: Double
    }

    /// Computes `method` (a method or `sess:NAME`) for one preprocessed image and writes
    /// `<stem>_<method>_<class>.npy/.png` (`sess:NAME` as `sess-NAME` in file names).
    /// Gradient maps are heavy-tailed: the picture clips them at their 99th percentile (the .npy stays raw).
    static func saliency(_ method: SaliencySpec, model: any Classifier, x: Tensor, picture: RGBImage, targetClass: Int,
                         stem: String, options: SaliencyMethod.Options, npyFolder: URL?, pngFolder: URL?) throws -> Map {
        let start = Date()
        let map = try method.map(model: model, x, target: .logit(targetClass), options: options)
        let ms = Date().timeIntervalSince(start) * 1000
        let file = "\(stem)_\(method.description.replacingOccurrences(of: ":", with: "-"))_\(targetClass)"
        var png: String?, npy: String?
        if let npyFolder {
            npy = file + ".npy"
            try NPY.write(map.scalars, shape: map.shape, to: npyFolder.appendingPathComponent(npy!))
        }
        if let pngFolder {
            var shown = map.scalars
            if !method.isNormalized, let p99 = shown.sorted().dropLast(shown.count / 100).last, p99 > 0 {
                shown = shown.map { min($0, p99) }
            }
            png = file + ".png"
            try ImageCodec.write(try Picture.withColorBar(Picture.overlay(shown, on: picture)), to: pngFolder.appendingPathComponent(png!))
        }
        return Map(method: method, values: map, png: png, npy: npy, milliseconds: ms)
    }
}

/// A one-line progress display on stderr.
enum Progress {
    static func update(_ label: String, step: Int, of total: Int, _ detail: String = "") {
        guard step == total || step % max(1, total / 50) == 0 else { return }
        let width = 24, filled = total > 0 ? width * step / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(step)/\(total) \(detail)   ".utf8))
    }

    static func finish() { FileHandle.standardError.write(Data("\n".utf8)) }

    static func line(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
}
