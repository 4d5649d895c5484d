import Foundation
import GlimpseCore
import GlimpseModels

/// Targets of the class-agnostic visualizer, built from a set of real images: pooled layer features and the
/// matching start images. One target per synthesised image.
public struct FeatureTargets {
    /// How the image set becomes targets.
    public enum Mode: Equatable, Sendable {
        /// One target per image.
        case each
        /// One target: the mean over all images.
        case mean
        /// `k` targets: k-means clusters of the pooled features (seeded k-means++ start, Lloyd iterations).
        case clusters(Int)
    }

    /// Target vectors (one pooled feature vector per target).
    public let vectors: [[Float]]
    /// For each target, the images it is built from, with their weights (summing to 1).
    public let members: [[(index: Int, weight: Float)]]
    /// Start images [T, 3, H, W]: each target's weighted mean of its images.
    public let startImages: Tensor

    /// Pooled activations of `layer` for images [N, 3, H, W] in [0, 1], then targets by `mode`. A cluster's target
    /// is the weighted mean of its `nearest` images closest to the centre, weights `softmax(1 / distance)` (Mind's
    /// Eye picks the farthest ones, which contradicts its own comment; we take the nearest).
    public static func build(model: any Classifier, layer: String, images: Tensor, mode: Mode, nearest: Int = 10,
                             seed: UInt64 = 0) throws -> FeatureTargets {
        guard images.rank == 4, images.shape[0] >= 1, images.shape[1] == 3 else {
            throw VisError.badOption("the image set must be [N, 3, H, W], found \(images.shape)")
        }
        guard nearest >= 1 else { throw VisError.badOption("nearest must be >= 1, found \(nearest)") }
        let n = images.shape[0]
        let features: [[Float]] = try withoutGradient {
            try (0..<n).map { i in
                let x = try images.sliced(axis: 0, i..<(i + 1))
                let a = try model.run(x, capturing: [layer], stoppingEarly: true).layer(layer)
                guard a.rank == 4 else { throw VisError.badOption("\(layer) is not a spatial layer (\(a.shape))") }
                return try a.mean(axes: [0, 2, 3]).scalars
            }
        }
        let members: [[(index: Int, weight: Float)]]
        switch mode {
        case .each: members = (0..<n).map { [($0, 1)] }
        case .mean: members = [(0..<n).map { ($0, 1 / Float(n)) }]
        case let .clusters(k):
            guard k >= 1, k <= n else { throw VisError.badOption("clusters must be between 1 and the \(n) images, found \(k)") }
            let (centres, assignment) = KMeans.fit(features, k: k, seed: seed)
            members = try centres.enumerated().map { c, centre in
                let inCluster = (0..<n).filter { assignment[$0] == c }
                    .map { (index: $0, distance: KMeans.distance(features[$0], centre)) }
                    .sorted { ($0.distance, $0.index) < ($1.distance, $1.index) }.prefix(nearest)
                guard !inCluster.isEmpty else { throw VisError.badOption("cluster \(c) is empty") }
                let logits = inCluster.map { 1 / max($0.distance, 1e-6) }
                let top = logits.max()!
                let e = logits.map { Foundation.exp($0 - top) }
                let total = e.reduce(0, +)
                return zip(inCluster, e).map { ($0.index, $1 / total) }
            }
        }
        let vectors = members.map { m in
            (0..<features[0].count).map { c in m.reduce(0) { $0 + $1.weight * features[$1.index][c] } }
        }
        let start = try withoutGradient {
            try Tensor.concatenate(members.map { m in
                try m.dropFirst().reduce(images.sliced(axis: 0, m[0].index..<(m[0].index + 1)) * m[0].weight) {
                    try $0 + images.sliced(axis: 0, $1.index..<($1.index + 1)) * $1.weight
                }
            }, axis: 0)
        }
        return FeatureTargets(vectors: vectors, members: members, startImages: start)
    }
}

/// k-means with a seeded k-means++ start and Lloyd iterations (Euclidean).
enum KMeans {
    static func distance(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }

    /// Centres and the index of each point's centre.
    static func fit(_ points: [[Float]], k: Int, seed: UInt64, iterations: Int = 100) -> ([[Float]], [Int]) {
        var rng = SeededRNG(seed: seed)
        var centres = [points[Int(rng.next() % UInt64(points.count))]]
        while centres.count < k {
            let d2 = points.map { p in centres.map { distance(p, $0) }.min()!.squared }
            let total = d2.reduce(0, +)
            guard total > 0 else { centres.append(points[centres.count]); continue }
            var r = rng.nextUniform() * total
            var pick = points.count - 1
            for (i, d) in d2.enumerated() { r -= d; if r <= 0 { pick = i; break } }
            centres.append(points[pick])
        }
        var assignment = [Int](repeating: -1, count: points.count)
        for _ in 0..<iterations {
            let next = points.map { p in centres.indices.min { (distance(p, centres[$0]), $0) < (distance(p, centres[$1]), $1) }! }
            if next == assignment { break }
            assignment = next
            for c in centres.indices {
                let members = points.indices.filter { assignment[$0] == c }
                guard !members.isEmpty else { continue }
                centres[c] = (0..<points[0].count).map { j in members.reduce(0) { $0 + points[$1][j] } / Float(members.count) }
            }
        }
        return (centres, assignment)
    }
}

private extension Float {
    var squared: Float { self * self }
}
