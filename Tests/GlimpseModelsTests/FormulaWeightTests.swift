import Foundation
import GlimpseCore
import GlimpseFormats
import GlimpseModels
import Testing

/// Architectures whose real weights are too large for the repository, checked with deterministic formula weights
/// against torchvision (fixtures written by scripts/make_formula_fixtures.py; the formula is mirrored here).
@Suite struct FormulaWeightTests {
    struct Fixture: Decodable {
        let keys: [Key]
        let logits: [Float]
        let logitsImagenetTransformInput: [Float]?
        enum CodingKeys: String, CodingKey {
            case keys, logits, logitsImagenetTransformInput = "logits_imagenet_transform_input"
        }
        struct Key: Decodable {
            let name: String, shape: [Int]
            init(from decoder: Decoder) throws {
                var c = try decoder.unkeyedContainer()
                name = try c.decode(String.self)
                shape = try c.decode([Int].self)
            }
        }
    }

    static func formula(_ name: String, _ shape: [Int], _ k: Int) -> StoredTensor {
        let n = shape.reduce(1, *)
        if name.hasSuffix("num_batches_tracked") { return StoredTensor(shape: shape, scalarType: .int64, values: [0]) }
        var v = [Float](repeating: 0, count: n)
        let fanIn = shape.isEmpty ? 1 : n / shape[0]
        for j in 0..<n {
            let s = sin(0.7 * Double(j) + 1.3 * Double(k))
            let value: Double
            if name.hasSuffix("running_var") { value = 1 + 0.5 * abs(s) }
            else if name.hasSuffix("running_mean") || name.hasSuffix("bias") { value = 0.1 * s }
            else if shape.count == 1 { value = 1 + 0.1 * s }
            else { value = s * (2.0 / Double(fanIn)).squareRoot() }
            v[j] = Float(value)
        }
        return StoredTensor(shape: shape, values: v)
    }

    func check(_ file: String, logitsKey: KeyPath<Fixture, [Float]?> = \.logits.optional,
               build: (StateDict) throws -> any Classifier) throws {
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: TestData.bundled.appendingPathComponent(file)))
        var dict = StateDict()
        for (k, key) in fixture.keys.enumerated() { dict.set(key.name, Self.formula(key.name, key.shape, k)) }
        let model = try build(dict)
        let x = try Tensor((0..<(3 * 224 * 224)).map { Float(0.5 + 0.4 * sin(0.37 * Double($0))) }, shape: [1, 3, 224, 224])
        let logits = try model.logits(x)
        let expected = try #require(fixture[keyPath: logitsKey])
        let reference = try Tensor(expected, shape: [1, expected.count])
        let err = maxAbsDiff(logits, reference)
        let scale = expected.map(abs).max() ?? 1
        print("\(model.name) with formula weights vs torchvision: logits max abs \(err) (of \(scale))")
        #expect(err <= 1e-4 * max(1, scale))
        let layers = try model.describeLayers()
        #expect(layers.count == model.layerPaths.count)
    }

    @Test func mobileNetV2MatchesTorchvision() throws {
        try check("mobilenet_v2_formula.json") { try MobileNetV2(stateDict: $0, normalization: .none) }
    }

    @Test func resNet34MatchesTorchvision() throws {
        try check("resnet34_formula.json") { try ResNet(depth: 34, stateDict: $0, normalization: .none) }
    }

    @Test func resNet50MatchesTorchvision() throws {
        try check("resnet50_formula.json") { try ResNet(depth: 50, stateDict: $0, normalization: .none) }
    }

    @Test func googLeNetMatchesTorchvision() throws {
        try check("googlenet_formula.json") { try GoogLeNet(stateDict: $0, normalization: .none) }
    }

    /// torchvision's ImageNet GoogLeNet takes ImageNet-normalised images and re-normalises them (`transform_input`);
    /// Glimpse's default GoogLeNet must give the same logits from the [0, 1] image.
    @Test func googLeNetTransformInputMatchesTorchvision() throws {
        try check("googlenet_formula.json", logitsKey: \.logitsImagenetTransformInput) { try GoogLeNet(stateDict: $0) }
    }

    @Test func vgg16MatchesTorchvision() throws {
        try check("vgg16_formula.json") { try VGG16(stateDict: $0, normalization: .none) }
    }
}

extension Array {
    /// Self as an optional, so a non-optional property can stand where an optional key path is expected.
    var optional: [Element]? { self }
}
