import ArgumentParser
import Foundation
import GlimpseModels

/// `--model` and `--weights`, shared by every command that runs a network.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Model: \(ModelZoo.names.joined(separator: ", ")).", valueName: "name"))
    var model: String = ModelZoo.defaultModel

    @Option(name: .long, help: ArgumentHelp("Weights file (.pth state dict, legacy or zip, or .safetensors). Default: the downloaded EfficientNet-Lite0 checkpoint.", valueName: "path"))
    var weights: String?

    func validate() throws {
        guard ModelZoo.names.contains(model) else {
            throw ValidationError("unknown model '\(model)'; known models: \(ModelZoo.names.joined(separator: ", "))")
        }
    }

    func load() throws -> any Classifier {
        try ModelZoo.load(model, weights: weights.map { URL(fileURLWithPath: $0) })
    }
}
