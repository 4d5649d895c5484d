import Foundation
import GlimpseCore

/// The pointing game (Zhang et al., ECCV 2016) as TorchRay scores it: a hit when the map's maximum (the first
/// one in row-major order) lies within `tolerance` pixels (Euclidean, strictly less) of any pixel of the
/// ground-truth region of the class. Accuracy = hits / (hits + misses) per class, then the mean over classes.
public enum PointingGame {
    /// A rectangle [x0, x1) × [y0, y1) in pixels of the map.
    public struct Box: Sendable, Codable, Equatable {
        public var x0: Int, y0: Int, x1: Int, y1: Int
        public init(x0: Int, y0: Int, x1: Int, y1: Int) { (self.x0, self.y0, self.x1, self.y1) = (x0, y0, x1, y1) }
    }

    /// Whether the maximum of map [H, W] points into `region` (a Bool per pixel, row-major) within `tolerance`.
    public static func hit(map: Tensor, region: [Bool], tolerance: Double = 15) throws -> Bool {
        guard map.rank == 2, region.count == map.count else {
            throw MetricError.badInput("the pointing game needs a map [H, W] and a region of H·W pixels, found \(map.shape) and \(region.count)")
        }
        try map.checkFinite("the saliency map")
        let (h, w) = (map.shape[0], map.shape[1])
        let values = map.scalars
        guard let best = values.indices.max(by: { values[$0] < values[$1] || (values[$0] == values[$1] && $0 > $1) }) else { return false }
        let (py, px) = (best / w, best % w)
        let r = Int(tolerance.rounded(.up))
        for y in max(0, py - r)...min(h - 1, py + r) {
            for x in max(0, px - r)...min(w - 1, px + r) where region[y * w + x] {
                let (dy, dx) = (Double(y - py), Double(x - px))
                if dy * dy + dx * dx < tolerance * tolerance { return true }
            }
        }
        return false
    }

    /// Ground-truth boxes per image file name from JSON `{"image": [[x0, y0, x1, y1], ...]}` (the file of
    /// `glimpse evaluate --boxes`); a box with x0 ≥ x1 or y0 ≥ y1 or not 4 numbers is an error.
    public static func boxes(json data: Data) throws -> [String: [Box]] {
        guard let raw = try? JSONDecoder().decode([String: [[Int]]].self, from: data) else {
            throw MetricError.badInput("boxes must be JSON {\"image\": [[x0, y0, x1, y1], ...]} with integer pixels")
        }
        return try raw.mapValues { list in
            try list.map { b in
                guard b.count == 4, b[0] < b[2], b[1] < b[3] else {
                    throw MetricError.badInput("a box must be [x0, y0, x1, y1] with x0 < x1 and y0 < y1, found \(b)")
                }
                return Box(x0: b[0], y0: b[1], x1: b[2], y1: b[3])
            }
        }
    }

    /// The region covered by any of `boxes` in an H×W map.
    public static func region(boxes: [Box], height: Int, width: Int) -> [Bool] {
        var r = [Bool](repeating: false, count: height * width)
        for b in boxes {
            for y in max(0, b.y0)..<min(height, max(b.y1, 0)) {
                for x in max(0, b.x0)..<min(width, max(b.x1, 0)) { r[y * width + x] = true }
            }
        }
        return r
    }

    /// Mean over classes of each class's hit rate; `results` are (class, hit) pairs.
    public static func meanClassAccuracy(_ results: [(classIndex: Int, hit: Bool)]) -> Double {
        let byClass = Dictionary(grouping: results, by: \.classIndex)
        guard !byClass.isEmpty else { return 0 }
        return byClass.values.reduce(0.0) { $0 + Double($1.filter(\.hit).count) / Double($1.count) } / Double(byClass.count)
    }
}
