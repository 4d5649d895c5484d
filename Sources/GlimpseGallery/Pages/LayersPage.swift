import Foundation

/// A grid of channel visualizations per layer; class-agnostic views next to the images they came from.
enum LayersPage {
    static func body(_ r: GalleryRecords) -> String {
        if r.visualizations.isEmpty { return "<p class=\"empty\">No visualizations in these records.</p>" }
        let layers = Array(Set(r.visualizations.map(\.layer))).sorted()
        return layers.map { layer in
            let all = r.visualizations.filter { $0.layer == layer }
            let channels = all.filter { ($0.objective ?? "channel") == "channel" }.sorted { $0.channel < $1.channel }
            let others = all.filter { ($0.objective ?? "channel") != "channel" }
            var html = "<h2 id=\"\(HTML.escape(layer))\">\(HTML.escape(layer))</h2>"
            if let first = all.first {
                html += "<p class=\"meta\">\(HTML.escape(first.model)), \(first.steps) steps, seed \(first.seed)</p>"
                html += HTML.provenance("Command", first.command)
            }
            if !channels.isEmpty {
                html += "<div class=\"grid\">" + channels.map {
                    HTML.figure($0.image, "channel \($0.channel)<br>objective \(String(format: "%.3f", $0.finalObjective))",
                                alt: "\($0.layer) channel \($0.channel)")
                }.joined() + "</div>"
            }
            for v in others {
                html += "<h3>\(HTML.escape(v.objective ?? "")) view, target \(v.channel)</h3><div class=\"row\">"
                html += HTML.figure(v.image, "\(HTML.escape(v.objective ?? ""))<br>objective \(String(format: "%.3f", v.finalObjective))",
                                    alt: "\(v.layer) \(v.objective ?? "") visualization")
                html += (v.sources ?? []).map { HTML.figure($0, "source image", alt: "source image") }.joined()
                html += "</div>"
            }
            return html
        }.joined()
    }
}
