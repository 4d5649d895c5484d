import Foundation
import GlimpseGallery
import GlimpseImage

/// A small gallery of every page type, built from records and real PNGs written here.
enum FixtureGallery {
    /// The repository's gallery/ assets folder.
    static let assets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("gallery")

    /// A colourful test picture (so a rendered page is visibly not blank).
    static func picture(_ seed: Int) -> RGBImage {
        var image = RGBImage(width: 64, height: 64)
        for y in 0..<64 {
            for x in 0..<64 {
                let i = 3 * (y * 64 + x)
                image.pixels[i] = UInt8((x * 4 + seed * 40) & 255)
                image.pixels[i + 1] = UInt8((y * 4 + seed * 70) & 255)
                image.pixels[i + 2] = UInt8(((x + y) * 2 + seed * 20) & 255)
            }
        }
        return image
    }

    static func records(in folder: URL) throws -> GalleryRecords {
        let images = folder.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        var count = 0
        func png() throws -> String {
            count += 1
            try ImageCodec.write(picture(count), to: images.appendingPathComponent("p\(count).png"))
            return "images/p\(count).png"
        }
        func npy() throws -> String {
            count += 1
            try Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]).write(to: images.appendingPathComponent("m\(count).npy"))
            return "images/m\(count).npy"
        }
        var r = GalleryRecords(title: "Fixture gallery")
        for channel in 0..<3 {
            r.visualizations.append(VisualizationRecord(model: "tiny", layer: "block<1>", channel: channel, image: try png(),
                                                        finalObjective: Double(channel), steps: 4, seed: 1, command: "glimpse visualize"))
        }
        r.visualizations.append(VisualizationRecord(model: "tiny", layer: "block<1>", channel: 0, image: try png(), finalObjective: 2,
                                                    steps: 4, seed: 1, command: "glimpse visualize --dual", objective: "class-agnostic",
                                                    sources: [try png(), try png()]))
        let input = try png()
        for (i, method) in ["gradcam", "scorecam"].enumerated() {
            r.saliency.append(SaliencyRecord(model: "tiny", photo: "cat & dog", input: input, targetClass: 3, className: "tabby",
                                             probability: 0.5, method: method, paper: "Paper \(i)", overlay: try png(), map: try npy(),
                                             milliseconds: Double(10 + i), command: "glimpse evaluate",
                                             scores: ["deletion": 0.1 + Double(i) / 10, "insertion": 0.7 - Double(i) / 10],
                                             curves: ["deletion": [0.9, 0.4, 0.1], "insertion": [0.1, 0.5, 0.8]]))
        }
        r.attacks.append(AttackGalleryRecord(model: "tiny", photo: "cat & dog", attack: "advedge", interpreter: "gradcam", clean: try png(),
                                      adversarial: try png(), perturbation: try png(), edgeMap: try png(), cleanMap: try png(),
                                      adversarialMap: try png(),
                                      cleanPrediction: PredictionRecord(classIndex: 3, className: "tabby", probability: 0.5),
                                      adversarialPrediction: PredictionRecord(classIndex: 7, className: "lynx", probability: 0.9),
                                      success: true, metrics: ["iou": 0.6, "linf": 0.031], milliseconds: 1200, command: "glimpse attack"))
        r.experiments.append(ExperimentRecord(title: "ASR vs eps", columns: ["attack", "eps", "ASR"],
                                              rows: [["pgd", "0.01", "0.5"], ["pgd", "0.03", "1.0"]],
                                              plots: [PlotRecord(title: "ASR", xLabel: "eps", yLabel: "ASR",
                                                                 series: [PlotSeries(name: "pgd", x: [0.01, 0.03], y: [0.5, 1])])],
                                              command: "glimpse experiment report"))
        return r
    }
}
