import Foundation

/// Per photo: every method's overlay side by side, a table sortable by each metric, deletion/insertion curves.
enum SaliencyPage {
    static func body(_ r: GalleryRecords) -> String {
        if r.saliency.isEmpty { return "<p class=\"empty\">No saliency maps in these records.</p>" }
        let metricNames = Array(Set(r.saliency.flatMap { $0.scores.map { Array($0.keys) } ?? [] })).sorted()
        let rows: [[HTML.Cell]] = r.saliency.map { s in
            [.text(s.photo), .text(s.method), HTML.Cell(html: "\(s.targetClass) \(HTML.escape(s.className))", sortKey: Double(s.targetClass)),
             .number(s.milliseconds, "%.1f")] + metricNames.map { name in .number(s.scores?[name] ?? .nan) }
        }
        var html = "<p>Click a column header to sort. Deletion: lower is better; insertion: higher is better.</p>"
        html += HTML.sortableTable(id: "methods", headers: ["photo", "method", "class", "ms"] + metricNames, rows: rows)
        if let first = r.saliency.first { html += HTML.provenance("Command", first.command) }
        for photo in Array(Set(r.saliency.map(\.photo))).sorted() {
            let items = r.saliency.filter { $0.photo == photo }
            guard let first = items.first else { continue }
            html += "<h2 id=\"\(HTML.escape(photo))\">\(HTML.escape(photo)): \(HTML.escape(first.className)) (class \(first.targetClass), p = \(String(format: "%.3f", first.probability)))</h2><div class=\"grid\">"
            html += HTML.figure(first.input, "input", alt: "\(photo) as the model sees it")
            html += items.map { s in
                let scores = (s.scores ?? [:]).sorted { $0.key < $1.key }.map { "\(HTML.escape($0.key)) \(String(format: "%.3f", $0.value))" }
                return HTML.figure(s.overlay, "\(HTML.escape(s.method))<br><span class=\"meta\">\(HTML.escape(s.paper))</span><br>"
                                   + (scores.isEmpty ? "" : scores.joined(separator: ", ") + "<br>")
                                   + "<a href=\"\(HTML.escape(s.map))\">map .npy</a>", alt: "\(s.method) map of \(photo)")
            }.joined()
            html += "</div>"
            let curveNames = Array(Set(items.flatMap { $0.curves.map { Array($0.keys) } ?? [] })).sorted()
            if !curveNames.isEmpty {
                html += "<div class=\"plots\">" + curveNames.map { name in
                    let series = items.compactMap { s -> PlotSeries? in
                        guard let y = s.curves?[name], y.count > 1 else { return nil }
                        return PlotSeries(name: s.method, x: y.indices.map { Double($0) / Double(y.count - 1) }, y: y)
                    }
                    return SVGPlot.lines(PlotRecord(title: "\(name) — \(photo)", xLabel: "fraction of pixels", yLabel: "probability of the class", series: series))
                }.joined() + "</div>"
            }
        }
        return html
    }
}
