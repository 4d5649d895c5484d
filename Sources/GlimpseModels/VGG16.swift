import GlimpseCore
import GlimpseFormats

/// VGG-16 (Simonyan & Zisserman 2015) with torchvision's key names: 13 3×3 convolutions with bias and ReLU in
/// `features.N`, max pools, 7×7 adaptive average pool, classifier `classifier.0/3/6` (dropout is identity in eval).
public final class VGG16: Classifier {
    public let name = "vgg16"
    public let inputSize = 224
    public let inputChannels = 3
    public let minimumInputSize = 32
    public let classCount: Int
    public let layerPaths: [String]
    public let defaultCAMLayer = "features.29"

    private let normalization: ResNet.InputNormalization
    /// Convolutions by feature index; nil entries are max pools.
    private let convs: [(index: Int, weight: Tensor, bias: Tensor)]
    private let pools: Set<Int>
    private let classifier: [Linear]

    static let plan: [Int?] = [64, 64, nil, 128, 128, nil, 256, 256, 256, nil, 512, 512, 512, nil, 512, 512, 512, nil]

    public init(stateDict: StateDict, classCount: Int = 1000, normalization: ResNet.InputNormalization = .imagenet) throws {
        let w = Weights(dict: stateDict)
        self.classCount = classCount
        self.normalization = normalization
        var index = 0, inChannels = 3
        var convs: [(Int, Tensor, Tensor)] = [], pools = Set<Int>(), paths: [String] = []
        for entry in Self.plan {
            if let out = entry {
                convs.append((index, try w.tensor("features.\(index).weight", [out, inChannels, 3, 3]),
                              try w.tensor("features.\(index).bias", [out])))
                paths += ["features.\(index)", "features.\(index + 1)"]
                inChannels = out
                index += 2
            } else {
                pools.insert(index)
                paths.append("features.\(index)")
                index += 1
            }
        }
        self.convs = convs
        self.pools = pools
        classifier = [try Linear(w, "classifier.0", inFeatures: 512 * 49, outFeatures: 4096),
                      try Linear(w, "classifier.3", inFeatures: 4096, outFeatures: 4096),
                      try Linear(w, "classifier.6", inFeatures: 4096, outFeatures: classCount)]
        layerPaths = paths + ["avgpool", "classifier.0", "classifier.3", "classifier.6"]
    }

    public func forward(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
        var h = try normalizedInput(x)
        var next = 0
        for entry in Self.plan {
            if entry != nil {
                let c = convs[next]
                next += 1
                let raw = pass.requested.contains("features.\(c.index)")
                if raw {
                    h = pass.tap("features.\(c.index)", try Tensor.conv2d(h, filter: c.weight, bias: c.bias, options: .init(stride: 1, padding: 1)))
                    h = pass.tap("features.\(c.index + 1)", h.relu())
                } else {
                    h = pass.tap("features.\(c.index + 1)", try Tensor.conv2d(h, filter: c.weight, bias: c.bias,
                                                                             options: .init(stride: 1, padding: 1), activation: .relu))
                }
            } else {
                let index = (convs[next - 1].index) + 2
                h = pass.tap("features.\(index)", try h.maxPool2d(kernel: 2, stride: 2))
            }
        }
        guard h.shape[2] == 7, h.shape[3] == 7 else {
            throw ModelError.badInput("vgg16 needs 224×224 inputs (its adaptive 7×7 pool is the identity only there), got \(x.shape[2])×\(x.shape[3])")
        }
        h = pass.tap("avgpool", h)
        h = try h.flattened()
        h = try classifier[0](h, pass).relu()
        h = try classifier[1](h, pass).relu()
        return try classifier[2](h, pass)
    }

    public func normalizedInput(_ x: Tensor) throws -> Tensor { try ImageNetNormalization.apply(x, normalization) }
    public func imageFromNormalized(_ x: Tensor) throws -> Tensor { try ImageNetNormalization.invert(x, normalization) }
    public func parameterCount(of path: String) -> Int {
        if let c = convs.first(where: { "features.\($0.index)" == path }) { return c.weight.count + c.bias.count }
        if let l = classifier.first(where: { $0.path == path }) { return l.weight.count + l.bias.count }
        return 0
    }
    public func kind(of path: String) -> String {
        if convs.contains(where: { "features.\($0.index)" == path }) { return "Conv2d" }
        if pools.contains(where: { "features.\($0)" == path }) { return "MaxPool2d" }
        if path == "avgpool" { return "AdaptiveAvgPool2d" }
        if path.hasPrefix("classifier") { return "Linear" }
        return "ReLU"
    }
}

/// ImageNet mean/std normalisation shared by the torchvision models.
enum ImageNetNormalization {
    static let mean = try! Tensor([0.485, 0.456, 0.406], shape: [1, 3, 1, 1])
    static let std = try! Tensor([0.229, 0.224, 0.225], shape: [1, 3, 1, 1])

    static func apply(_ x: Tensor, _ n: ResNet.InputNormalization) throws -> Tensor { n == .imagenet ? try (x - mean) / std : x }
    static func invert(_ x: Tensor, _ n: ResNet.InputNormalization) throws -> Tensor { n == .imagenet ? try x * std + mean : x }
}
