/// Distances between two interpreter maps of the same grid (flattened, row-major), as ADV² and AdvEdge report
/// them, and the top-k% IoU test of the papers (rebuilt from their description; no code was published).
public enum MapMetrics {
    /// ‖a − b‖₁ / (H·W).
    public static func l1(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(max(a.count, 1))
    }

    /// ‖a − b‖₂ / √(H·W).
    public static func l2(_ a: [Float], _ b: [Float]) -> Double {
        (zip(a, b).reduce(0.0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) } / Double(max(a.count, 1))).squareRoot()
    }

    /// The default fractions of the IoU test: 10%, 20%, …, 90%.
    public static let defaultFractions: [Double] = (1...9).map { Double($0) / 10 }

    /// IoU of the top-`fraction` pixels of each map (round(fraction·n) pixels, at least 1; ties broken by the
    /// lower flat index, a stable order), for each fraction.
    public static func topKIoU(_ a: [Float], _ b: [Float], fractions: [Double] = defaultFractions) -> [Double] {
        let orderA = ranking(a), orderB = ranking(b)
        return fractions.map { f in
            let k = min(a.count, max(1, Int((f * Double(a.count)).rounded())))
            let setA = Set(orderA.prefix(k)), setB = Set(orderB.prefix(k))
            let union = setA.union(setB).count
            return union == 0 ? 1 : Double(setA.intersection(setB).count) / Double(union)
        }
    }

    /// Indices sorted by decreasing value, ties by increasing index.
    private static func ranking(_ v: [Float]) -> [Int] {
        v.indices.sorted { v[$0] != v[$1] ? v[$0] > v[$1] : $0 < $1 }
    }
}
