import ArgumentParser
import Foundation
import GlimpseModels

struct Layers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a model's addressable layers with output shapes and parameter counts.",
        discussion: """
        Paths equal the state-dict prefixes where one exists (`_blocks.10`, `_blocks.10._project_conv`);
        parameter-free outputs have their own names (`_head_act`, `_blocks.3._depthwise_act`). Any of them can
        be given to --layer options, captured in a forward pass and differentiated. Shapes are for one image
        at the model's input size.
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Flag(name: .long, help: "Print one JSON document instead of a table.")
    var json = false

    func run() throws {
        let model = try modelOptions.load()
        let layers = try model.describeLayers()
        if json {
            struct Document: Codable { let model: String; let parameters: Int; let layers: [LayerInfo] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(Document(model: model.name, parameters: model.totalParameters, layers: layers)), as: UTF8.self))
            return
        }
        let width = max(24, layers.map(\.path.count).max() ?? 0)
        print("\(model.name): \(layers.count) layers, \(model.totalParameters) parameters")
        for l in layers {
            let shape = "[" + l.outputShape.map(String.init).joined(separator: ", ") + "]"
            print(l.path.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                  + l.kind.padding(toLength: 20, withPad: " ", startingAt: 0) + "  "
                  + shape.padding(toLength: 20, withPad: " ", startingAt: 0) + "  " + String(l.parameters))
        }
    }
}
