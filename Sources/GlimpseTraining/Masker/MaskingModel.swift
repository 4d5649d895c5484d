import Foundation
import GlimpseCore
import GlimpseFormats
import GlimpseModels
import GlimpseSaliency

/// A trained masking model together with the classifier it explains: one forward pass gives a saliency mask in
/// [0, 1] for any image and class. The mask is differentiable with respect to the input image (the encoder runs
/// recorded when the input is tracked), so attacks can go through it.
public final class MaskingModel: MaskingSaliency {
    public let spec: MaskerSpec
    public let classifier: any Classifier
    public var parameters: [String: Tensor]
    /// Subtracted from the selector activation before the sigmoid gate at inference (the reference's
    /// `model_confidence`; 0 in training).
    public var confidence: Float = 0

    public static let weightsFile = "masker.safetensors"
    public static let specFile = "masker.json"

    public init(spec: MaskerSpec, classifier: any Classifier, parameters: [String: Tensor]) throws {
        try spec.check()
        guard classifier.classCount == spec.classCount else {
            throw TrainingError.invalidSetting("the masker expects \(spec.classCount) classes, \(classifier.name) has \(classifier.classCount)")
        }
        for (key, shape) in spec.shapes() {
            guard parameters[key]?.shape == shape else { throw TrainingError.checkpoint("masker parameter \(key) is missing or not \(shape)") }
        }
        self.spec = spec; self.classifier = classifier; self.parameters = parameters
    }

    /// Loads `masker.json` and `masker.safetensors` from a run folder; the classifier must be the one it was trained on.
    public static func load(from folder: URL, classifier: any Classifier) throws -> MaskingModel {
        let specURL = folder.appendingPathComponent(specFile)
        guard FileManager.default.fileExists(atPath: specURL.path) else {
            throw TrainingError.checkpoint("no \(specFile) in \(folder.path): train one with `glimpse masker train`")
        }
        let spec: MaskerSpec
        do { spec = try JSONDecoder().decode(MaskerSpec.self, from: Data(contentsOf: specURL)) } catch {
            throw TrainingError.checkpoint("\(specURL.path) is not a masker description: \(error)")
        }
        guard spec.model == classifier.name else {
            throw TrainingError.checkpoint("the masker in \(folder.path) explains \(spec.model), not \(classifier.name)")
        }
        let dict = try Safetensors.load(contentsOf: folder.appendingPathComponent(weightsFile))
        var p: [String: Tensor] = [:]
        for (key, shape) in spec.shapes() {
            let stored = try dict.tensor(key, shape: shape)
            p[key] = try Tensor(stored.values, shape: shape)
        }
        return try MaskingModel(spec: spec, classifier: classifier, parameters: p)
    }

    /// Writes `masker.json` and `masker.safetensors` atomically.
    public func save(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var dict = StateDict()
        for (key, shape) in spec.shapes() { dict.set(key, StoredTensor(shape: shape, values: parameters[key]!.scalars)) }
        try Safetensors.write(dict, metadata: ["model": spec.model], to: folder.appendingPathComponent(MaskingModel.weightsFile))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(spec), to: folder.appendingPathComponent(MaskingModel.specFile))
    }

    /// The encoder features (deepest first) of x [N, C, S, S] in [0, 1]; recorded only when x is tracked.
    public func features(_ x: Tensor) throws -> [Tensor] {
        let run = { try self.classifier.run(x, capturing: Set(self.spec.layers)) }
        let result = x.isTracked ? try run() : try withoutGradient(run)
        return try spec.layers.map { x.isTracked ? try result.layer($0) : try result.layer($0).detached() }
    }

    /// Masks [N, 1, S, S] in [0, 1] for `classes` (one per image) at the input resolution.
    public func masks(_ x: Tensor, classes: [Int]) throws -> Tensor {
        try nativeMasks(features: features(x), classes: classes).resizedBilinear(height: x.shape[2], width: x.shape[3])
    }

    /// Masks [N, 1, s, s] on the masker's own grid (the shallowest encoder layer's) from encoder features of
    /// `spec.layers`, deepest first; differentiable in the features, so attacks can run the classifier once for both
    /// its logits and these features.
    public func nativeMasks(features: [Tensor], classes: [Int]) throws -> Tensor {
        guard features.count == spec.layers.count,
              zip(features, spec.layerChannels).allSatisfy({ $0.rank == 4 && $0.shape[1] == $1 }) else {
            throw TrainingError.invalidSetting("the masker needs features of \(spec.layers) with \(spec.layerChannels) channels, found \(features.map(\.shape))")
        }
        return try MaskerNetwork.forward(spec, parameters, features: features, selectors: classes, training: false,
                                  confidence: confidence).mask
    }

    /// `MaskingSaliency`: the [H, W] mask of one image x [1, C, H, W] for `classIndex`.
    public func saliencyMask(_ x: Tensor, classIndex: Int) throws -> Tensor {
        guard (0..<spec.classCount).contains(classIndex) else {
            throw SaliencyError.targetOutOfRange("class", index: classIndex, count: spec.classCount)
        }
        return try masks(x, classes: [classIndex]).reshaped([x.shape[2], x.shape[3]])
    }
}
