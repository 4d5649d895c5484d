import Foundation
import GlimpseCore
import GlimpseFormats

/// Locations of test data: small fixtures bundled with the tests, large ones in ../shared, downloads in the cache.
enum TestData {
    static let bundled: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    /// `../shared` beside the repository (or `$GLIMPSE_SHARED`).
    static var shared: URL {
        if let env = ProcessInfo.processInfo.environment["GLIMPSE_SHARED"], !env.isEmpty { return URL(fileURLWithPath: env) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
    }

    static var cache: URL {
        if let env = ProcessInfo.processInfo.environment["GLIMPSE_CACHE"], !env.isEmpty { return URL(fileURLWithPath: env) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/glimpse")
    }

    static var liteWeights: URL { cache.appendingPathComponent("efficientnet-lite0-57934424.pth") }
    static var resnet18Weights: URL { shared.appendingPathComponent("fixtures/resnet18_random.pth") }
    static var chelseaPhoto: URL { cache.appendingPathComponent("photos/chelsea.png") }

    static func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    /// Prints why a test is skipped (the trait `.enabled(if:)` keeps it from running).
    static func available(_ url: URL, _ what: String) -> Bool {
        if exists(url) { return true }
        print("skipped: \(what) missing at \(url.path) (run scripts/setup.sh, or place ../shared beside the repo)")
        return false
    }

    static func tensor(_ name: String) throws -> Tensor {
        let array = try NPY.load(contentsOf: bundled.appendingPathComponent(name))
        return try Tensor(array.values, shape: array.shape)
    }
}

func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Cosine similarity and relative L2 error of `a` against the reference `b`, in Double.
func cosineAndRelativeError(_ a: Tensor, _ b: Tensor) -> (cosine: Double, relative: Double) {
    var dot = 0.0, na = 0.0, nb = 0.0, diff = 0.0
    for (x, y) in zip(a.scalars, b.scalars) {
        dot += Double(x) * Double(y); na += Double(x) * Double(x); nb += Double(y) * Double(y)
        diff += Double(x - y) * Double(x - y)
    }
    return (dot / (na.squareRoot() * nb.squareRoot()), (diff / nb).squareRoot())
}
