import Foundation

/// The experiment runner's tables (sortable) and plots (SVG).
enum ExperimentsPage {
    static func body(_ r: GalleryRecords) -> String {
        if r.experiments.isEmpty { return "<p class=\"empty\">No experiments in these records (run <code>glimpse experiment run</code>).</p>" }
        return r.experiments.enumerated().map { i, e in
            var html = "<h2 id=\"experiment-\(i)\">\(HTML.escape(e.title))</h2>" + HTML.provenance("Command", e.command)
            let rows = e.rows.map { row in row.map { cell in Double(cell).map { HTML.Cell(html: HTML.escape(cell), sortKey: $0) } ?? .text(cell) } }
            html += HTML.sortableTable(id: "experiment-table-\(i)", headers: e.columns, rows: rows)
            html += "<div class=\"plots\">" + e.plots.map { SVGPlot.lines($0) }.joined() + "</div>"
            return html
        }.joined()
    }
}
