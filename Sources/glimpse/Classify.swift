import ArgumentParser
import Foundation
import GlimpseCore
import GlimpseImage
import GlimpseModels

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the top classes of images (PNG or JPEG).",
        discussion: """
        Each image is centre-cropped to a square, resized to the model's input size (bilinear, half-pixel) and
        classified; all images run as one batch. Probabilities are the softmax of the logits.

        Example: glimpse classify --top 3 photos/chelsea.png photos/coffee.png
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "Number of classes to show per image (1-1000).")
    var top: Int = 5

    @Flag(name: .long, help: "Print one JSON document instead of text.")
    var json = false

    @Argument(help: ArgumentHelp("Image files.", valueName: "image"))
    var images: [String]

    func validate() throws {
        guard (1...1000).contains(top) else { throw ValidationError("--top must be between 1 and 1000, got \(top)") }
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
    }

    func run() throws {
        let model = try modelOptions.load()
        let inputs = try images.map { path in try model.preprocess(ImageCodec.load(contentsOf: URL(fileURLWithPath: path))) }
        let batch = try Tensor.concatenate(inputs, axis: 0)
        let start = Date()
        let logits = try model.logits(batch)
        let seconds = Date().timeIntervalSince(start)
        let probabilities = try withoutGradient { try logits.softmax(axis: 1) }
        let classes = model.classCount
        var results: [ClassifyResult] = []
        for (i, path) in images.enumerated() {
            let row = Array(probabilities.scalars[(i * classes)..<((i + 1) * classes)])
            let rowLogits = Array(logits.scalars[(i * classes)..<((i + 1) * classes)])
            let order = row.indices.sorted { row[$0] > row[$1] }.prefix(top)
            results.append(ClassifyResult(image: path, top: order.map {
                ClassScore(index: $0, name: classes == 1000 ? ImageNetClasses.name($0) : "class \($0)",
                           probability: row[$0], logit: rowLogits[$0])
            }))
        }
        if json {
            let doc = ClassifyDocument(model: model.name, seconds: seconds, results: results)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(doc), as: UTF8.self))
        } else {
            for r in results {
                print(r.image)
                for (rank, s) in r.top.enumerated() {
                    print("  \(rank + 1). " + s.name.padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: " %5d  p=%.4f  logit=%.3f", s.index, s.probability, s.logit))
                }
            }
        }
    }
}

struct ClassScore: Codable {
    let index: Int
    let name: String
    let probability: Float
    let logit: Float
}

struct ClassifyResult: Codable {
    let image: String
    let top: [ClassScore]
}

struct ClassifyDocument: Codable {
    let model: String
    let seconds: Double
    let results: [ClassifyResult]
}
