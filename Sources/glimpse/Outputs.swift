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

    /// Renders `channels` of `layer`, `batch` at a time, writing `<layer>_<channel>.png` into `folder`.
    static func renderChannels(model: any Classifier, layer: String, channels: [Int], steps: Int, size: Int, batch: Int,
                               seed: UInt64, param: String = "fft", folder: URL) throws -> [Channel] {
        var renderer = Renderer()
        renderer.steps = steps
        var out: [Channel] = []
        for (index, start) in stride(from: 0, to: channels.count, by: batch).enumerated() {
            let chunk = Array(channels[start..<min(start + batch, channels.count)])
            let objective = chunk.enumerated().map { Objective.channel(layer, $0.element, batch: $0.offset) }.dropFirst()
                .reduce(Objective.channel(layer, chunk[0], batch: 0)) { $0 + $1 }
            let parameterization: ImageParameterization = param == "fft"
                ? try FourierImage(batch: chunk.count, height: size, width: size)
                : try PixelImage(batch: chunk.count, height: size, width: size)
            let label = "\(layer) channels \(chunk.first!)-\(chunk.last!)"
            let result = try renderer.render(model: model, objective: objective, parameterization: parameterization,
                                             seed: seed &+ UInt64(index)) { step, value in
                Progress.update(label, step: step, of: steps, String(format: "objective %.3f", value))
            }
            Progress.finish()
            // Per-channel objective on the final images (mean activation of the channel, untransformed).
            let finals = try withoutGradient { try model.run(result.images, capturing: [layer]).layer(layer) }
            let plane = 3 * size * size
            let values = result.images.scalars
            for (i, c) in chunk.enumerated() {
                let image = try RGBImage(planar: Array(values[(i * plane)..<((i + 1) * plane)]), channels: 3, width: size, height: size)
                let file = "\(layer)_\(c).png"
                try ImageCodec.write(image, to: folder.appendingPathComponent(file))
                let value = try finals.sliced(axis: 0, i..<(i + 1)).sliced(axis: 1, c..<(c + 1)).mean().scalar
                out.append(Channel(layer: layer, channel: c, file: file, objective: Double(value), history: result.history,
                                   msPerStep: result.millisecondsPerStep))
            }
        }
        return out
    }

    /// One computed saliency map with the files written for it.
    struct Map {
        let method: SaliencyMethod
        /// The map [H, W] itself.
        let values: Tensor
        let png: String?
        let npy: String?
        let milliseconds: Double
    }

    /// Computes `method` for one preprocessed image and writes `<stem>_<method>_<class>.npy/.png`.
    /// Gradient maps are heavy-tailed: the picture clips them at their 99th percentile (the .npy stays raw).
    static func saliency(_ method: SaliencyMethod, model: any Classifier, x: Tensor, picture: RGBImage, targetClass: Int,
                         stem: String, options: SaliencyMethod.Options, npyFolder: URL?, pngFolder: URL?) throws -> Map {
        let start = Date()
        let map = try method.map(model: model, x, target: .logit(targetClass), options: options)
        let ms = Date().timeIntervalSince(start) * 1000
        let file = "\(stem)_\(method.rawValue)_\(targetClass)"
        var png: String?, npy: String?
        if let npyFolder {
            npy = file + ".npy"
            try NPY.write(map.scalars, shape: map.shape, to: npyFolder.appendingPathComponent(npy!))
        }
        if let pngFolder {
            var shown = map.scalars
            if !method.usesLayer, let p99 = shown.sorted().dropLast(shown.count / 100).last, p99 > 0 {
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
