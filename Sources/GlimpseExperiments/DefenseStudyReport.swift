import Foundation
import GlimpseAttacks
import GlimpseDefenses
import GlimpseFormats
import GlimpseGallery

/// Every result of a `DefenseStudy`, and its tables: one of the models (accuracy and faithfulness per saliency
/// method) and one of the attacks (per model, attack and interpreter: success rate, map IoU, detection rates at the
/// calibrated false-positive rate, accuracy left after each input transform).
public struct DefenseStudyReport: Codable, Sendable {
    /// One trained model's results.
    public struct ModelResult: Codable, Sendable {
        public var name: String
        public var regularizer: String
        public var options: [String: String]
        public var scores: ModelScores
        public var defense: DefenseReport
    }

    public var name: String
    public var models: [ModelResult]
    /// Wall-clock seconds of the run that wrote the report (reused rows cost nothing).
    public var seconds: Double

    /// A table: headers and rows of cells.
    public struct Table: Sendable, Equatable {
        public var columns: [String]
        public var rows: [[String]]

        public init(columns: [String], rows: [[String]]) { (self.columns, self.rows) = (columns, rows) }

        /// GitHub markdown.
        public var markdown: String {
            ([columns, columns.map { _ in "---" }] + rows).map { "| " + $0.joined(separator: " | ") + " |" }.joined(separator: "\n") + "\n"
        }

        /// RFC 4180 CSV (cells with commas, quotes or line breaks are quoted).
        public var csv: String {
            ([columns] + rows).map { row in
                row.map { $0.contains(where: { ",\"\n".contains($0) }) ? "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : $0 }
                    .joined(separator: ",")
            }.joined(separator: "\n") + "\n"
        }
    }

    /// How numbers are written: percentages for the markdown table, plain fractions for CSV.
    public enum Style: Sendable { case markdown, csv }

    /// One row per model and saliency method.
    public func modelTable(_ style: Style) -> Table {
        let f = Cells(style: style)
        var rows: [[String]] = []
        for m in models {
            let head = [m.name, m.regularizer, f.rate(m.scores.testAccuracy), String(format: "%.0f", m.scores.trainingSeconds)]
            if m.scores.faithfulness.isEmpty { rows.append(head + ["-", "-", "-", "-", "-"]) }
            for s in m.scores.faithfulness {
                rows.append(head + [s.method, f.number(s.deletion), f.number(s.insertion), f.number(s.adcc),
                                    s.sanityLastStage.map(f.number) ?? "-"])
            }
        }
        return Table(columns: ["model", "regularizer", "test accuracy", "training s", "saliency", "deletion ↓", "insertion ↑",
                               "ADCC ↑", "sanity ρ ↓"], rows: rows)
    }

    /// One row per model and attack row of its defense evaluation (clean, PGD, each interpreter attack, adaptive PGD).
    public func attackTable(_ style: Style) -> Table {
        let f = Cells(style: style)
        let detectors = detectorKeys, transforms = transformKeys
        let rows = models.flatMap { m in
            m.defense.rows.map { r in
                [m.name, r.attack, r.interpreter, String(format: "%.3g", r.eps), "\(r.images)", f.rate(r.successRate),
                 r.iou.map { f.number($0.reduce(0, +) / Double(max($0.count, 1))) } ?? "-"]
                    + detectors.map { r.detection[$0].map(f.rate) ?? "-" } + transforms.map { r.accuracy[$0].map(f.rate) ?? "-" }
            }
        }
        let fpr = Int((100 * (models.first?.defense.settings.falsePositiveRate ?? 0.05)).rounded())
        return Table(columns: ["model", "attack", "interpreter", "ε", "images", "success", "map IoU"]
                        + detectors.map { "TPR \($0) @\(fpr)% FPR" } + transforms.map { $0 == "none" ? "accuracy" : "acc. \($0)" },
                     rows: rows)
    }

    var detectorKeys: [String] { Array(Set(models.flatMap { $0.defense.detectors.keys })).sorted() }
    var transformKeys: [String] { ["none"] + (models.first?.defense.settings.transforms ?? []) }

    /// Number formatting of one table style.
    struct Cells {
        let style: Style
        func rate(_ v: Double) -> String { style == .markdown ? String(format: "%.1f%%", 100 * v) : String(format: "%.4f", v) }
        func number(_ v: Double) -> String { String(format: style == .markdown ? "%.3f" : "%.5f", v) }
    }

    /// The plots of the gallery page: PGD success and detection rates vs ε (one line per model) and, per interpreter,
    /// the top-k% IoU curves of each model's interpreter attacks.
    public var plots: [PlotRecord] {
        let sweep = models.map { m in (m.name, m.defense.sweep) }
        var plots = [PlotRecord(title: "PGD: attack success rate vs ε", xLabel: "ε (L∞)", yLabel: "success rate",
                                series: sweep.map { PlotSeries(name: $0.0, x: $0.1.map(\.eps), y: $0.1.map(\.successRate)) })]
        for key in detectorKeys {
            plots.append(PlotRecord(title: "PGD: TPR of \(key) at the calibrated FPR vs ε", xLabel: "ε (L∞)", yLabel: "true-positive rate",
                                    series: sweep.map { PlotSeries(name: $0.0, x: $0.1.map(\.eps), y: $0.1.map { $0.detection[key] ?? 0 }) }))
        }
        let fractions = MapMetrics.defaultFractions.map { 100 * $0 }
        let interpreters = models.first?.defense.settings.interpreters ?? []
        for interpreter in interpreters {
            let series = models.flatMap { m in
                m.defense.rows.filter { $0.interpreter == interpreter && $0.iou != nil }
                    .map { PlotSeries(name: "\(m.name) \($0.attack)", x: fractions, y: $0.iou!) }
            }
            plots.append(PlotRecord(title: "\(interpreter): IoU of adversarial vs clean map (top-k%)", xLabel: "k (% of pixels)",
                                    yLabel: "IoU", series: series))
        }
        return plots
    }

    /// Gallery records: the model table, and the attack table with the plots.
    public func galleryRecords(command: String) -> GalleryRecords {
        var records = GalleryRecords(title: "Glimpse defense study")
        let models = modelTable(.markdown), attacks = attackTable(.markdown)
        records.experiments = [
            ExperimentRecord(title: "Fashion-MNIST defense study (\(name)): accuracy and saliency faithfulness", columns: models.columns,
                             rows: models.rows, plots: [], command: command),
            ExperimentRecord(title: "Fashion-MNIST defense study (\(name)): attacks and detection", columns: attacks.columns,
                             rows: attacks.rows, plots: plots, command: command),
        ]
        return records
    }

    /// Writes into `folder`, each file atomically: study.json (every figure), table.md (both tables), models.csv,
    /// attacks.csv and records.json (for `glimpse gallery build`).
    public func write(to folder: URL, command: String) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let markdown = "## Models\n\n" + modelTable(.markdown).markdown + "\n## Attacks and detection\n\n" + attackTable(.markdown).markdown
        try AtomicFile.write(encoder.encode(self), to: folder.appendingPathComponent("study.json"))
        try AtomicFile.write(Data(markdown.utf8), to: folder.appendingPathComponent("table.md"))
        try AtomicFile.write(Data(modelTable(.csv).csv.utf8), to: folder.appendingPathComponent("models.csv"))
        try AtomicFile.write(Data(attackTable(.csv).csv.utf8), to: folder.appendingPathComponent("attacks.csv"))
        try AtomicFile.write(encoder.encode(galleryRecords(command: command)), to: folder.appendingPathComponent("records.json"))
    }
}
