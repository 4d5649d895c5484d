import Foundation

/// The table of an experiment: one row per (model, interpreter, method, preset), aggregated over images.
public struct ExperimentReport {
    public struct Row {
        public let model: String
        public let interpreter: String
        public let method: String
        public let preset: String
        public let summary: AttackSummary
    }

    public let rows: [Row]

    /// Groups records (from any number of shard files); rows keep the order in which groups first appear.
    public init(_ records: [AttackRecord]) {
        var order: [String] = []
        var groups: [String: [AttackRecord]] = [:]
        for r in records {
            let key = [r.model, r.interpreter, r.method, r.preset].joined(separator: "\u{0}")
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(r)
        }
        rows = order.map { key in
            let g = groups[key]!, r = g[0]
            return Row(model: r.model, interpreter: r.interpreter, method: r.method, preset: r.preset, summary: AttackSummary(g))
        }
    }

    static let headers = ["model", "interpreter", "method", "preset", "n", "ASR", "ASR 8-bit", "confidence", "conf. std",
                          "L∞", "L2", "δ on edges", "SSIM", "map L1", "map L2", "IoU mean", "s/image"]

    private func cells(_ row: Row) -> [String] {
        let s = row.summary
        func f(_ v: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", v) }
        return [row.model, row.interpreter, row.method, row.preset, "\(s.count)", f(s.asr, 2), f(s.asrQuantized, 2),
                f(s.confidenceMean), f(s.confidenceStd), f(s.linf, 4), f(s.l2), f(s.edgeFraction), f(s.ssim), f(s.mapL1),
                f(s.mapL2), f(s.iouMean), f(s.seconds, 1)]
    }

    /// A markdown table.
    public var markdown: String {
        var lines = ["| " + Self.headers.joined(separator: " | ") + " |",
                     "|" + Self.headers.map { _ in "---" }.joined(separator: "|") + "|"]
        lines += rows.map { "| " + cells($0).joined(separator: " | ") + " |" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// CSV with the same columns plus the IoU curve (`iou@k` for each fraction of the first record).
    public func csv(fractions: [Double] = MapMetrics.defaultFractions) -> String {
        let k = rows.first?.summary.iou.count ?? 0
        let header = Self.headers + (0..<k).map { "iou@\(Int((fractions[safe: $0] ?? 0) * 100))%" }
        func quote(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        let body = rows.map { row in (cells(row) + row.summary.iou.map { String(format: "%.4f", $0) }).map(quote).joined(separator: ",") }
        return ([header.map(quote).joined(separator: ",")] + body).joined(separator: "\n") + "\n"
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
