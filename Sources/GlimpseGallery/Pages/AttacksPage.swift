import Foundation

/// Per attack: clean and adversarial images, the amplified perturbation, the edge map, and the clean and adversarial
/// maps of the interpreter, with predictions and metrics; a sortable summary table on top.
enum AttacksPage {
    static func body(_ r: GalleryRecords) -> String {
        if r.attacks.isEmpty { return "<p class=\"empty\">No attacks in these records (run <code>glimpse attack</code> or <code>glimpse gallery demo</code>).</p>" }
        let metricNames = Array(Set(r.attacks.flatMap { Array($0.metrics.keys) })).sorted()
        let rows: [[HTML.Cell]] = r.attacks.enumerated().map { i, a in
            [HTML.Cell(html: "<a href=\"#attack-\(i)\">\(HTML.escape(a.photo))</a>", sortKey: nil), .text(a.attack), .text(a.interpreter),
             .text(a.cleanPrediction.className), .text(a.adversarialPrediction.className),
             .number(a.adversarialPrediction.probability), HTML.Cell(html: a.success ? "yes" : "no", sortKey: a.success ? 1 : 0),
             .number(a.milliseconds, "%.0f")] + metricNames.map { .number(a.metrics[$0] ?? .nan) }
        }
        var html = HTML.sortableTable(id: "attacks", headers: ["photo", "attack", "interpreter", "clean class", "adversarial class",
                                                                "adv. confidence", "success", "ms"] + metricNames, rows: rows)
        for (i, a) in r.attacks.enumerated() {
            let verdict = a.success ? "<span class=\"ok\">prediction changed</span>" : "<span class=\"fail\">prediction kept</span>"
            html += "<h2 id=\"attack-\(i)\">\(HTML.escape(a.photo)): \(HTML.escape(a.attack)) against \(HTML.escape(a.interpreter)) — \(verdict)</h2>"
            let metrics = a.metrics.sorted { $0.key < $1.key }.map { "\(HTML.escape($0.key)) = \(String(format: "%.4g", $0.value))" }
            html += "<p class=\"meta\">\(metrics.joined(separator: " · ")) · \(String(format: "%.0f", a.milliseconds)) ms</p>"
            html += HTML.provenance("Command", a.command)
            html += "<div class=\"row\">"
            html += HTML.figure(a.clean, "clean: \(caption(a.cleanPrediction))", alt: "clean image")
            html += HTML.figure(a.adversarial, "adversarial: \(caption(a.adversarialPrediction))", alt: "adversarial image")
            html += HTML.figure(a.perturbation, "perturbation (amplified)", alt: "perturbation")
            if let edges = a.edgeMap { html += HTML.figure(edges, "edge map", alt: "edge map") }
            html += HTML.figure(a.cleanMap, "\(HTML.escape(a.interpreter)) map, clean", alt: "clean map")
            html += HTML.figure(a.adversarialMap, "\(HTML.escape(a.interpreter)) map, adversarial", alt: "adversarial map")
            html += "</div>"
        }
        return html
    }

    static func caption(_ p: PredictionRecord) -> String {
        "\(HTML.escape(p.className)) (\(p.classIndex)), p = \(String(format: "%.3f", p.probability))"
    }
}
