import Foundation
import GlimpseCore
import GlimpseFormats
import GlimpseImage
import GlimpseModels

/// Fixtures and models shared by the attack tests.
enum AttackData {
    static let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func tensor(_ name: String) throws -> Tensor {
        let a = try NPY.load(contentsOf: folder.appendingPathComponent(name))
        return try Tensor(a.values, shape: a.shape)
    }

    static var cache: URL {
        ProcessInfo.processInfo.environment["GLIMPSE_CACHE"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/glimpse")
    }

    static let hasLite: Bool = {
        let ok = FileManager.default.fileExists(atPath: cache.appendingPathComponent("efficientnet-lite0-57934424.pth").path)
            && FileManager.default.fileExists(atPath: cache.appendingPathComponent("photos/chelsea.png").path)
        if !ok { print("skipped: EfficientNet-Lite0 weights or photos missing under \(cache.path) (run scripts/setup.sh)") }
        return ok
    }()

    static let lite: EfficientNetLite0? = hasLite
        ? try? EfficientNetLite0(stateDict: TorchCheckpoint.load(contentsOf: cache.appendingPathComponent("efficientnet-lite0-57934424.pth")))
        : nil

    /// A sample photo preprocessed for Lite0, [1, 3, 224, 224] in [0, 1].
    static func photo(_ name: String, _ model: any Classifier) throws -> Tensor {
        try model.preprocess(ImageCodec.load(contentsOf: cache.appendingPathComponent("photos/\(name)")))
    }

    /// The reference chelsea input of the fixtures, as the [0, 1] image.
    static func chelsea() throws -> Tensor { try (tensor("input_1x3x224x224.npy") * 128 + 127) * (1 / 255) }
}

/// A small seeded CNN built from engine ops: conv 3→8 (ReLU), conv 8→16 stride 2 (ReLU6), global pool, linear
/// 16→4. Any classifier works with the attacks; this one is fast enough for many runs.
final class ToyCNN: Classifier {
    let name = "toy-cnn", inputSize = 16, inputChannels = 3, classCount = 4, minimumInputSize = 8
    let layerPaths = ["conv1", "conv2", "fc"]
    let defaultCAMLayer = "conv2"
    let w1: Tensor, w2: Tensor, fc: Tensor, b2: Tensor

    init(seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        w1 = Tensor.normal([8, 3, 3, 3], std: 0.6, rng: &rng)
        w2 = Tensor.normal([16, 8, 3, 3], std: 0.3, rng: &rng)
        b2 = Tensor.normal([16], std: 0.3, rng: &rng)
        fc = Tensor.normal([4, 16], std: 0.8, rng: &rng)
    }

    func normalizedInput(_ x: Tensor) throws -> Tensor { try x * 2 - 1 }
    func imageFromNormalized(_ x: Tensor) throws -> Tensor { try (x + 1) * 0.5 }
    func forward(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
        let h = pass.tap("conv1", try Tensor.conv2d(normalizedInput(x), filter: w1, options: .init(stride: 1, padding: 1)).relu())
        let g = pass.tap("conv2", try Tensor.conv2d(h, filter: w2, bias: b2, options: .init(stride: 2, padding: 1)).relu6())
        return pass.tap("fc", try Tensor.linear(g.globalAvgPool(), weight: fc, bias: nil))
    }
    func parameterCount(of path: String) -> Int { 0 }
    func kind(of path: String) -> String { "" }
}

/// Seeded images [n, 3, 16, 16] in [0, 1] with their toy-model predictions as labels.
func toyBatch(_ model: ToyCNN, n: Int = 8, seed: UInt64 = 5) throws -> (Tensor, [Int]) {
    var rng = SeededRNG(seed: seed)
    let x = Tensor.uniform([n, 3, 16, 16], rng: &rng)
    let logits = try model.logits(x)
    let c = logits.shape[1], z = logits.scalars
    let labels = (0..<n).map { i in (0..<c).max { z[i * c + $0] < z[i * c + $1] }! }
    return (x, labels)
}

func linfDistance(_ a: Tensor, _ b: Tensor) -> Float { zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) } }

/// L2 norm of a − b per image.
func l2Distances(_ a: Tensor, _ b: Tensor) -> [Float] {
    let n = a.shape[0], per = a.count / n
    let d = zip(a.scalars, b.scalars).map { $0 - $1 }
    return (0..<n).map { i in d[(i * per)..<((i + 1) * per)].reduce(Float(0)) { $0 + $1 * $1 }.squareRoot() }
}

func inUnitRange(_ t: Tensor) -> Bool { t.scalars.allSatisfy { $0 >= 0 && $0 <= 1 } }

/// Central difference (f(x + ε·e_i) − f(x − ε·e_i)) / 2ε of a scalar function at entry `i` of x.
func centralDifference(at x: Tensor, index i: Int, eps: Float = 1e-3, _ f: (Tensor) throws -> Double) rethrows -> Double {
    var plus = x, minus = x
    plus.withUnsafeMutableBufferPointer { $0[i] += eps }
    minus.withUnsafeMutableBufferPointer { $0[i] -= eps }
    return (try f(plus) - f(minus)) / Double(2 * eps)
}
