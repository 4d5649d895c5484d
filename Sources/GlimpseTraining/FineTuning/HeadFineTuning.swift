import GlimpseCore
import GlimpseFormats
import GlimpseModels

/// A pretrained classifier whose last linear layer is trained and everything before it frozen (last-layer
/// fine-tuning), so that any zoo model whose class-activation layer is followed by global average pooling and one
/// linear layer can be trained on an image folder with the regularizers.
///
/// The frozen network runs in inference mode (folded batch norm) and stays in the autodiff graph of x, so
/// regularizers that differentiate maps with respect to the image (gbp-align) or to the class-activation layer
/// (CGC, Model Doctor) work; only the head's weight and bias are updated. The class-activation layer is tapped under
/// its own name. The head starts from the pretrained one when the class count is kept, else from PyTorch's
/// uniform ±1/√C initialisation drawn from a seed.
public final class HeadFineTuning: CAMTrainableClassifier {
    /// State-dict key of the linear layer after global average pooling, for the zoo models that have one.
    public static let headKeys = ["efficientnet-lite0": "_fc", "resnet18": "fc", "resnet34": "fc", "resnet50": "fc",
                                  "mobilenet_v2": "classifier.1", "googlenet": "fc", "tiny-cnn": "fc"]

    /// The frozen pretrained network.
    public let backbone: any Classifier
    /// Its class-activation layer, whose global average feeds the head.
    public let featureLayer: String
    /// State-dict key prefix of the head (`_fc`, `fc`, …).
    public let headKey: String
    public var parameters: [String: Tensor]
    public var trainableKeys: [String] { ["\(headKey).weight", "\(headKey).bias"] }

    public var name: String { backbone.name }
    public var inputSize: Int { backbone.inputSize }
    public var inputChannels: Int { backbone.inputChannels }
    public var classCount: Int { parameters["\(headKey).bias"]!.count }
    public var minimumInputSize: Int { backbone.minimumInputSize }
    /// The backbone's layers up to the class-activation layer (later ones belong to the replaced head).
    public var layerPaths: [String] { Array(backbone.layerPaths.prefix { $0 != featureLayer }) + [featureLayer] }
    public var defaultCAMLayer: String { featureLayer }

    /// Fine-tuning of zoo model `model` built from `stateDict` (pretrained, or a `fullStateDict` of an earlier
    /// fine-tuning with any class count), for `classCount` classes (nil: keep the head of `stateDict`); a head of
    /// another size is initialised from `seed`.
    public init(model: String, stateDict: StateDict, classCount: Int? = nil, seed: UInt64 = 0) throws {
        guard let key = Self.headKeys[model] else {
            throw TrainingError.invalidSetting("\(model) cannot be fine-tuned here (its last layer is not one linear layer after global pooling); known: \(Self.headKeys.keys.sorted().joined(separator: ", "))")
        }
        guard let w = stateDict["\(key).weight"], let b = stateDict["\(key).bias"], w.shape.count == 2, b.shape == [w.shape[0]] else {
            throw TrainingError.invalidSetting("the weights of \(model) have no linear head \(key).weight/bias")
        }
        let features = w.shape[1]
        // The zoo builds ImageNet heads (tiny-cnn: 10 classes); a fine-tuned head of another size is swapped for a
        // zero placeholder there, since the backbone's own head is never used.
        let zooClasses = model == "tiny-cnn" ? 10 : 1000
        var backboneDict = stateDict
        if w.shape[0] != zooClasses {
            backboneDict.set("\(key).weight", StoredTensor(shape: [zooClasses, features], values: [Float](repeating: 0, count: zooClasses * features)))
            backboneDict.set("\(key).bias", StoredTensor(shape: [zooClasses], values: [Float](repeating: 0, count: zooClasses)))
        }
        backbone = try ModelZoo.build(model, stateDict: backboneDict)
        featureLayer = backbone.defaultCAMLayer
        headKey = key
        if let classCount, classCount != w.shape[0] {
            guard classCount >= 1 else { throw TrainingError.invalidSetting("fine-tuning needs at least one class, found \(classCount)") }
            var rng = SeededRNG(seed: seed)
            let bound = 1 / Float(features).squareRoot()
            parameters = ["\(key).weight": Tensor.uniform([classCount, features], low: -bound, high: bound, rng: &rng),
                          "\(key).bias": Tensor.uniform([classCount], low: -bound, high: bound, rng: &rng)]
        } else {
            parameters = ["\(key).weight": try Tensor(w.values, shape: w.shape), "\(key).bias": try Tensor(b.values, shape: b.shape)]
        }
    }

    public func trainingLogits(_ x: Tensor, parameters: [String: Tensor]) throws -> (logits: Tensor, statistics: [String: BatchStatistics]) {
        try trainingLogits(x, parameters: parameters, pass: ForwardPass())
    }

    public func trainingLogits(_ x: Tensor, parameters: [String: Tensor], pass: ForwardPass) throws -> (logits: Tensor, statistics: [String: BatchStatistics]) {
        (try logits(x, parameters, pass), [:])
    }

    public func forward(_ x: Tensor, pass: ForwardPass) throws -> Tensor { try logits(x, parameters, pass) }

    private func logits(_ x: Tensor, _ p: [String: Tensor], _ pass: ForwardPass) throws -> Tensor {
        guard let w = p["\(headKey).weight"], let b = p["\(headKey).bias"] else {
            throw ModelError.badInput("\(name): parameters \(headKey).weight/bias are missing")
        }
        let result = try backbone.run(x, capturing: pass.requested.union([featureLayer]))
        for (layer, value) in result.layers where layer != featureLayer { _ = pass.tap(layer, value) }
        let features = pass.tap(featureLayer, try result.layer(featureLayer))
        return try Tensor.linear(features.mean(axes: [2, 3]), weight: w, bias: b)
    }

    public func normalizedInput(_ x: Tensor) throws -> Tensor { try backbone.normalizedInput(x) }
    public func imageFromNormalized(_ x: Tensor) throws -> Tensor { try backbone.imageFromNormalized(x) }
    public func parameterCount(of path: String) -> Int {
        path == headKey ? parameters.values.reduce(0) { $0 + $1.count } : backbone.parameterCount(of: path)
    }
    public func kind(of path: String) -> String { backbone.kind(of: path) }

    /// `stateDict` with the head replaced by the trained one (a full checkpoint of the fine-tuned model).
    public func fullStateDict(replacingIn stateDict: StateDict) -> StateDict {
        var dict = stateDict
        for key in trainableKeys { dict.set(key, StoredTensor(shape: parameters[key]!.shape, values: parameters[key]!.scalars)) }
        return dict
    }
}
