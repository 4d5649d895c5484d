import Foundation
import GlimpseCore
import GlimpseFormats
import GlimpseModels

/// Fixtures and models shared by the saliency tests.
enum SaliencyData {
    static let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func tensor(_ name: String) throws -> Tensor {
        let a = try NPY.load(contentsOf: folder.appendingPathComponent(name))
        return try Tensor(a.values, shape: a.shape)
    }

    static var weightsURL: URL {
        let cache = ProcessInfo.processInfo.environment["GLIMPSE_CACHE"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/glimpse")
        return cache.appendingPathComponent("efficientnet-lite0-57934424.pth")
    }

    static let hasWeights: Bool = {
        let present = FileManager.default.fileExists(atPath: weightsURL.path)
        if !present { print("skipped: EfficientNet-Lite0 weights missing at \(weightsURL.path) (run scripts/setup.sh)") }
        return present
    }()

    static let liteStateDict: StateDict? = hasWeights ? try? TorchCheckpoint.load(contentsOf: weightsURL) : nil
    static let lite: EfficientNetLite0? = liteStateDict.flatMap { try? EfficientNetLite0(stateDict: $0) }

    static let tinyStateDict: StateDict = try! TorchCheckpoint.load(contentsOf: folder.appendingPathComponent("tiny_zip.pth"))
    static let tiny: TinyCNN = try! TinyCNN(stateDict: tinyStateDict)

    /// The fixtures' normalised input x, as the [0, 1] image the model takes.
    static func chelsea() throws -> Tensor { try (tensor("input_1x3x224x224.npy") * 128 + 127) * (1 / 255) }
    /// ∂/∂x = ∂/∂x01 · 128/255 (fixtures are gradients with respect to the normalised input).
    static let toNormalized: Float = 128 / 255
}

func maxAbs(_ a: Tensor, _ b: Tensor) -> Float { zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) } }
func maxAbsValue(_ a: Tensor) -> Float { a.scalars.reduce(0) { max($0, abs($1)) } }

/// Cosine similarity and relative L2 error ‖a − b‖ / ‖b‖.
func cosineAndRelative(_ a: Tensor, _ b: Tensor) -> (Double, Double) {
    var dot = 0.0, na = 0.0, nb = 0.0, d = 0.0
    for (x, y) in zip(a.scalars, b.scalars) {
        let (x, y) = (Double(x), Double(y))
        dot += x * y; na += x * x; nb += y * y; d += (x - y) * (x - y)
    }
    return (dot / (na * nb).squareRoot(), (d / nb).squareRoot())
}
