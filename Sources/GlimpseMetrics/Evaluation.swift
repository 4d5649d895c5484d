import Foundation
import GlimpseCore
import GlimpseFormats
import GlimpseModels
import GlimpseSaliency

/// The metrics `glimpse evaluate` can compute.
public enum Metric: String, CaseIterable, Sendable, Codable {
    case deletion, insertion, adcc, pointing, road, sanity
}

/// Every metric of one method on one image.
public struct EvaluationRecord: Codable, Sendable, Equatable {
    public var image: String
    public var method: String
    public var classIndex: Int
    /// Wall time of one map, milliseconds.
    public var milliseconds: Double
    public var deletion: Double?
    public var insertion: Double?
    public var confidence: ConfidenceScores?
    public var adcc: Double?
    public var pointingHit: Bool?
    /// ROAD's (LeRF − MoRF) / 2 averaged over the percentiles 10…90.
    public var road: Double?
    public var sanity: [SanityCheck.Result]?

    /// A record of `method` on `image` for class `classIndex` with no metric yet.
    public init(image: String, method: String, classIndex: Int, milliseconds: Double) {
        (self.image, self.method, self.classIndex, self.milliseconds) = (image, method, classIndex, milliseconds)
    }
}

extension EvaluationRecord {
    /// The metrics of `wanted` this record has no value for (pointing only when the image has boxes).
    public func missing(_ wanted: Set<Metric>, hasBoxes: Bool) -> Set<Metric> {
        wanted.filter { m in
            switch m {
            case .deletion: return deletion == nil
            case .insertion: return insertion == nil
            case .adcc: return adcc == nil || confidence == nil
            case .pointing: return hasBoxes && pointingHit == nil
            case .road: return road == nil
            case .sanity: return sanity == nil
            }
        }
    }

    /// Takes every metric this record lacks from `other` (a later run on the same image, method and class);
    /// values already here and the map time stay.
    public mutating func fill(from other: EvaluationRecord) {
        deletion = deletion ?? other.deletion
        insertion = insertion ?? other.insertion
        if adcc == nil || confidence == nil { (adcc, confidence) = (other.adcc, other.confidence) }
        pointingHit = pointingHit ?? other.pointingHit
        road = road ?? other.road
        sanity = sanity ?? other.sanity
    }
}

/// Computes the requested metrics of saliency methods on one model.
public struct Evaluator {
    public let model: any Classifier
    public var metrics: Set<Metric>
    public var options: SaliencyMethod.Options
    public var deletionInsertion = DeletionInsertion(step: 1792)
    /// The state dict and model name, needed by the sanity check (which rebuilds the model).
    public var stateDict: StateDict?
    public var sanityStages: [SanityCheck.Stage] = SanityCheck.efficientNetLite0Stages
    public var seed: UInt64 = 0

    public init(model: any Classifier, metrics: Set<Metric>, options: SaliencyMethod.Options = .init()) {
        self.model = model
        self.metrics = metrics
        self.options = options
    }

    /// All requested metrics for `spec` on image x [1, C, H, W] and class c; `boxes` are the pointing game's
    /// ground truth (pointing is skipped without them). `progress(text)` reports each finished part.
    public func evaluate(_ spec: SaliencySpec, image name: String, _ x: Tensor, classIndex c: Int,
                         boxes: [PointingGame.Box]? = nil, progress: ((String) -> Void)? = nil) throws -> EvaluationRecord {
        let target = SaliencyTarget.logit(c)
        let start = Date()
        let map = try spec.map(model: model, x, target: target, options: options)
        var record = EvaluationRecord(image: name, method: spec.description, classIndex: c,
                                      milliseconds: Date().timeIntervalSince(start) * 1000)
        progress?("map")
        let normalized = try MapStatistics.normalized(map)
        if metrics.contains(.deletion) {
            record.deletion = try deletionInsertion.evaluate(.deletion, model: model, x, map: normalized, classIndex: c).auc
            progress?("deletion")
        }
        if metrics.contains(.insertion) {
            record.insertion = try deletionInsertion.evaluate(.insertion, model: model, x, map: normalized, classIndex: c).auc
            progress?("insertion")
        }
        if metrics.contains(.adcc) {
            let scores = try ConfidenceScores.evaluate(model: model, x, map: normalized, classIndex: c) { explanation in
                try spec.map(model: model, explanation, target: target, options: options)
            }
            record.confidence = scores
            record.adcc = scores.adcc
            progress?("adcc")
        }
        if metrics.contains(.pointing), let boxes {
            let region = PointingGame.region(boxes: boxes, height: x.shape[2], width: x.shape[3])
            record.pointingHit = try PointingGame.hit(map: map, region: region)
        }
        if metrics.contains(.road) {
            record.road = try ROAD(seed: seed).combined(model: model, x, map: normalized, classIndex: c)
            progress?("road")
        }
        if metrics.contains(.sanity) {
            guard let stateDict else { throw MetricError.badInput("the sanity check needs the model's state dict") }
            let name = model.name
            record.sanity = try SanityCheck(seed: seed).run(
                stateDict: stateDict, stages: sanityStages, build: { try ModelZoo.build(name, stateDict: $0) },
                explain: { try spec.map(model: $0, x, target: target, options: options) },
                progress: { progress?("sanity stage \($0 + 1)/\(sanityStages.count)") })
        }
        return record
    }
}

/// Summaries of evaluation records.
public enum EvaluationTable {
    /// Mean of each column per method, in the order methods first appear.
    public static func markdown(_ records: [EvaluationRecord]) -> String {
        var methods: [String] = []
        for r in records where !methods.contains(r.method) { methods.append(r.method) }
        func mean(_ values: [Double]) -> String {
            values.isEmpty ? "–" : String(format: "%.4f", values.reduce(0, +) / Double(values.count))
        }
        var lines = ["| method | images | ms per map | deletion ↓ | insertion ↑ | avg drop ↓ | increase ↑ | coherency ↑ | complexity ↓ | ADCC ↑ | pointing ↑ | ROAD ↑ | sanity ρ(|·|) last stage ↓ |",
                     "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for m in methods {
            let rs = records.filter { $0.method == m }
            let cells = [
                String(rs.count), String(format: "%.1f", rs.map(\.milliseconds).reduce(0, +) / Double(rs.count)),
                mean(rs.compactMap(\.deletion)), mean(rs.compactMap(\.insertion)),
                mean(rs.compactMap { $0.confidence?.drop }), mean(rs.compactMap { $0.confidence?.increase }),
                mean(rs.compactMap { $0.confidence?.coherency }), mean(rs.compactMap { $0.confidence?.complexity }),
                mean(rs.compactMap(\.adcc)), mean(rs.compactMap { $0.pointingHit.map { $0 ? 1 : 0 } }), mean(rs.compactMap(\.road)),
                mean(rs.compactMap { $0.sanity?.last?.spearmanAbs }),
            ]
            lines.append("| \(m) | " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// An SVG line chart of Spearman ρ(|·|) after each cascading stage, one line per method (mean over images).
    public static func sanitySVG(_ records: [EvaluationRecord]) -> String {
        var series: [(String, [Double], [String])] = []
        for m in Set(records.map(\.method)).sorted() {
            let runs = records.filter { $0.method == m }.compactMap(\.sanity).filter { !$0.isEmpty }
            guard let first = runs.first else { continue }
            let values = first.indices.map { i in runs.reduce(0.0) { $0 + $1[i].spearmanAbs } / Double(runs.count) }
            series.append((m, values, first.map(\.stage)))
        }
        let (width, height, left, top, plotW, plotH) = (760.0, 420.0, 60.0, 20.0, 520.0, 340.0)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        svg += "<text x=\"\(left)\" y=\"14\">Cascading randomization: Spearman ρ(|map|) vs the trained model</text>\n"
        for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
            let y = top + plotH * (1 - tick)
            svg += "<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(left + plotW)\" y2=\"\(y)\" stroke=\"#ddd\"/><text x=\"\(left - 30)\" y=\"\(y + 4)\">\(String(format: "%.2f", tick))</text>\n"
        }
        let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
        for (i, (name, values, stages)) in series.enumerated() {
            let dx = values.count > 1 ? plotW / Double(values.count - 1) : 0
            let points = values.enumerated().map { String(format: "%.1f,%.1f", left + dx * Double($0.offset), top + plotH * (1 - max(-0.2, min(1, $0.element)))) }
            let color = colors[i % colors.count]
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>\n"
            svg += "<text x=\"\(left + plotW + 10)\" y=\"\(top + 14 * Double(i + 1))\" fill=\"\(color)\">\(name)</text>\n"
            if i == 0 {
                for (j, stage) in stages.enumerated() where j % 3 == 0 || j == stages.count - 1 {
                    svg += "<text x=\"\(left + dx * Double(j))\" y=\"\(top + plotH + 16)\" text-anchor=\"middle\">\(stage)</text>\n"
                }
            }
        }
        return svg + "</svg>\n"
    }
}
