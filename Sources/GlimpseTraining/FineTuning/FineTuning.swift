import GlimpseCore
import GlimpseFormats
import GlimpseModels

/// A pretrained zoo classifier trained further on new data: its last linear layer alone (the default), or every
/// layer from a given one on, or the whole network.
///
/// The trained layers run from `parameters` through the pass's `ParameterOverride`: convolutions unfolded, their
/// batch norms on the batch's statistics while training (the running statistics are updated by the training loop and
/// used by `forward`), the rest of the network frozen and folded as in inference. Layers deeper than the first
/// trained one can only be trained when they are built from the zoo's shared convolution + batch-norm and linear
/// layers (EfficientNet-Lite0, MobileNetV2, the ResNets; plain convolutions, as tiny-cnn's, stay frozen).
/// The whole network stays in the autodiff graph of x, so the regularizers that differentiate maps with respect to
/// the image (gbp-align) or to the class-activation layer (CGC, Model Doctor) work. The head starts from the
/// pretrained one when the class count is kept, else from PyTorch's uniform ±1/√C initialisation drawn from a seed.
public final class FineTuning: CAMTrainableClassifier {
    /// Which layers are trained.
    public enum Layers: Equatable, Sendable {
        /// The linear head only (last-layer fine-tuning).
        case head
        /// Every trainable layer from this layer path (or the first layer inside this block) on, and the head.
        case from(String)
        /// Every trainable layer.
        case all
    }

    /// State-dict key of the linear layer after global average pooling, for the zoo models that have one.
    public static let headKeys = ["efficientnet-lite0": "_fc", "resnet18": "fc", "resnet34": "fc", "resnet50": "fc",
                                  "mobilenet_v2": "classifier.1", "googlenet": "fc", "tiny-cnn": "fc"]

    /// The pretrained network whose layers `parameters` override.
    public let backbone: any Classifier
    /// Its class-activation layer, whose global average feeds the head.
    public let featureLayer: String
    /// State-dict key prefix of the head (`_fc`, `fc`, …).
    public let headKey: String
    /// The trained tensors and the running statistics of the trained batch norms.
    public var parameters: [String: Tensor]
    /// The trained keys in forward order, the head's last.
    public let trainableKeys: [String]

    public var name: String { backbone.name }
    public var inputSize: Int { backbone.inputSize }
    public var inputChannels: Int { backbone.inputChannels }
    public var classCount: Int { parameters["\(headKey).bias"]!.count }
    public var minimumInputSize: Int { backbone.minimumInputSize }
    public var layerPaths: [String] { backbone.layerPaths }
    public var defaultCAMLayer: String { featureLayer }

    /// Fine-tuning of zoo model `model` built from `stateDict` (pretrained, or a `fullStateDict` of an earlier
    /// fine-tuning with any class count), training `layers`, for `classCount` classes (nil: keep the head of
    /// `stateDict`); a head of another size is initialised from `seed`.
    public init(model: String, stateDict: StateDict, classCount: Int? = nil, layers: Layers = .head, seed: UInt64 = 0) throws {
        guard let key = Self.headKeys[model] else {
            throw TrainingError.invalidSetting("\(model) cannot be fine-tuned here (its last layer is not one linear layer after global pooling); known: \(Self.headKeys.keys.sorted().joined(separator: ", "))")
        }
        guard let w = stateDict["\(key).weight"], let b = stateDict["\(key).bias"], w.shape.count == 2, b.shape == [w.shape[0]] else {
            throw TrainingError.invalidSetting("the weights of \(model) have no linear head \(key).weight/bias")
        }
        let features = w.shape[1]
        // The zoo builds ImageNet heads (tiny-cnn: 10 classes); a fine-tuned head of another size is swapped for a
        // zero placeholder there: the override always replaces it.
        let zooClasses = model == "tiny-cnn" ? 10 : 1000
        var backboneDict = stateDict
        if w.shape[0] != zooClasses {
            backboneDict.set("\(key).weight", StoredTensor(shape: [zooClasses, features], values: [Float](repeating: 0, count: zooClasses * features)))
            backboneDict.set("\(key).bias", StoredTensor(shape: [zooClasses], values: [Float](repeating: 0, count: zooClasses)))
        }
        backbone = try ModelZoo.build(model, stateDict: backboneDict)
        featureLayer = backbone.defaultCAMLayer
        headKey = key
        var parameters: [String: Tensor]
        if let classCount, classCount != w.shape[0] {
            guard classCount >= 1 else { throw TrainingError.invalidSetting("fine-tuning needs at least one class, found \(classCount)") }
            var rng = SeededRNG(seed: seed)
            let bound = 1 / Float(features).squareRoot()
            parameters = ["\(key).weight": Tensor.uniform([classCount, features], low: -bound, high: bound, rng: &rng),
                          "\(key).bias": Tensor.uniform([classCount], low: -bound, high: bound, rng: &rng)]
        } else {
            parameters = ["\(key).weight": try Tensor(w.values, shape: w.shape), "\(key).bias": try Tensor(b.values, shape: b.shape)]
        }
        var trainable: [String] = []
        let bodyKeys = try Self.bodyKeys(of: backbone, stateDict: stateDict, layers: layers, head: key)
        if layers != .head && bodyKeys.isEmpty {
            throw TrainingError.invalidSetting("\(model) has no trainable layers there before its head (only convolutions with batch norm train; use the head alone)")
        }
        for bodyKey in bodyKeys {
            guard let stored = stateDict[bodyKey] else { continue }
            parameters[bodyKey] = try Tensor(stored.values, shape: stored.shape)
            if !bodyKey.hasSuffix(".running_mean") && !bodyKey.hasSuffix(".running_var") { trainable.append(bodyKey) }
        }
        self.parameters = parameters
        trainableKeys = trainable + ["\(key).weight", "\(key).bias"]
    }

    /// The keys, in forward order, of the layers before the head that `layers` trains: found by one small forward
    /// pass whose override holds every tensor of the state dict, noting the keys the layers look up.
    private static func bodyKeys(of backbone: any Classifier, stateDict: StateDict, layers: Layers, head: String) throws -> [String] {
        let firstLayer: Int
        switch layers {
        case .head: return []
        case .all: firstLayer = 0
        case .from(let path):
            let paths = backbone.layerPaths
            guard let index = paths.firstIndex(where: { $0 == path || $0.hasPrefix(path + ".") }) else {
                throw ModelError.unknownLayer(path, known: paths)
            }
            firstLayer = index
        }
        var all: [String: Tensor] = [:]
        for key in stateDict.keys { if let t = stateDict[key] { all[key] = try Tensor(t.values, shape: t.shape) } }
        let override = ParameterOverride(all, batchNorm: .runningStatistics)
        let pass = ForwardPass()
        pass.parameters = override
        let size = backbone.minimumInputSize
        _ = try withoutGradient { try backbone.forward(Tensor(zeros: [1, backbone.inputChannels, size, size]), pass: pass) }
        let order = Dictionary(backbone.layerPaths.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return override.consultedKeys.filter { key in
            let layer = String(key[..<(key.lastIndex(of: ".") ?? key.endIndex)])
            return layer != head && (order[layer] ?? -1) >= firstLayer
        }
    }

    public func trainingLogits(_ x: Tensor, parameters: [String: Tensor]) throws -> (logits: Tensor, statistics: [String: BatchStatistics]) {
        try trainingLogits(x, parameters: parameters, pass: ForwardPass())
    }

    public func trainingLogits(_ x: Tensor, parameters: [String: Tensor], pass: ForwardPass) throws -> (logits: Tensor, statistics: [String: BatchStatistics]) {
        let override = ParameterOverride(parameters, batchNorm: .batchStatistics)
        pass.parameters = override
        let logits = try backbone.forward(x, pass: pass)
        return (logits, override.statistics)
    }

    public func forward(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
        pass.parameters = ParameterOverride(parameters, batchNorm: .runningStatistics)
        return try backbone.forward(x, pass: pass)
    }

    public func normalizedInput(_ x: Tensor) throws -> Tensor { try backbone.normalizedInput(x) }
    public func imageFromNormalized(_ x: Tensor) throws -> Tensor { try backbone.imageFromNormalized(x) }
    public func parameterCount(of path: String) -> Int {
        path == headKey ? parameters["\(headKey).weight"]!.count + parameters["\(headKey).bias"]!.count : backbone.parameterCount(of: path)
    }
    public func kind(of path: String) -> String { backbone.kind(of: path) }

    /// `stateDict` with every trained tensor (and trained batch norm's running statistics) replaced: a full
    /// checkpoint of the fine-tuned model.
    public func fullStateDict(replacingIn stateDict: StateDict) -> StateDict {
        var dict = stateDict
        for (key, value) in parameters { dict.set(key, StoredTensor(shape: value.shape, values: value.scalars)) }
        return dict
    }
}
