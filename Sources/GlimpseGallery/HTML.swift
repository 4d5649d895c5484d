import Foundation

/// HTML building blocks shared by the pages.
enum HTML {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// The pages of a site, in navigation order: (file, heading).
    static let pages = [("index.html", "Overview"), ("layers.html", "Layers"), ("saliency.html", "Saliency"),
                        ("attacks.html", "Attacks"), ("experiments.html", "Experiments")]

    /// A complete page with the navigation bar, the stylesheet and the table-sorting script.
    static func page(_ title: String, _ heading: String, _ body: String) -> String {
        let nav = pages.map { "<a href=\"\($0.0)\">\($0.1)</a>" }.joined() + "<a href=\"records.json\">Records (JSON)</a>"
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head><meta charset="utf-8"><title>\(escape(title)) — \(escape(heading))</title>
        <link rel="stylesheet" href="style.css"><script src="sortable.js" defer></script></head>
        <body>
        <header><h1>\(escape(title))</h1>\(nav)</header>
        <main>
        <h2>\(escape(heading))</h2>
        \(body)
        </main>
        </body>
        </html>

        """
    }

    /// A linked thumbnail; `caption` is HTML, `alt` plain text.
    static func figure(_ image: String, _ caption: String, alt: String) -> String {
        "<figure><a href=\"\(escape(image))\"><img src=\"\(escape(image))\" alt=\"\(escape(alt))\" loading=\"lazy\"></a><figcaption>\(caption)</figcaption></figure>"
    }

    /// One table cell: HTML content and an optional numeric sort key.
    struct Cell {
        var html: String
        var sortKey: Double?

        static func text(_ s: String) -> Cell { Cell(html: escape(s), sortKey: nil) }
        static func number(_ v: Double, _ format: String = "%.3f") -> Cell {
            Cell(html: v.isFinite ? String(format: format, v) : "–", sortKey: v.isFinite ? v : nil)
        }
    }

    /// A table whose columns sort when their header is clicked (gallery/sortable.js).
    static func sortableTable(id: String, headers: [String], rows: [[Cell]]) -> String {
        var html = "<table class=\"sortable\" id=\"\(escape(id))\"><thead><tr>"
        html += headers.map { "<th title=\"click to sort\">\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows {
            html += "<tr>" + row.map { cell in
                cell.sortKey.map { "<td data-sort=\"\($0)\">\(cell.html)</td>" } ?? "<td>\(cell.html)</td>"
            }.joined() + "</tr>"
        }
        return html + "</tbody></table>"
    }

    /// The command that produced a set of records.
    static func provenance(_ label: String, _ command: String) -> String {
        "<p class=\"meta\">\(escape(label)): <code>\(escape(command))</code></p>"
    }
}
