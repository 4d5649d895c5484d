import Foundation

/// The overview: what the gallery holds, one thumbnail per layer, and links to every page.
enum IndexPage {
    static func body(_ r: GalleryRecords) -> String {
        let layers = Array(Set(r.visualizations.map(\.layer))).sorted()
        let photos = Array(Set(r.saliency.map(\.photo))).sorted()
        let methods = Array(Set(r.saliency.map(\.method))).sorted()
        var html = "<ul>"
        html += "<li><a href=\"layers.html\">\(r.visualizations.count) visualizations</a> of \(layers.count) layers</li>"
        html += "<li><a href=\"saliency.html\">\(r.saliency.count) saliency maps</a> of \(photos.count) photos by \(methods.count) methods</li>"
        html += "<li><a href=\"attacks.html\">\(r.attacks.count) attacks</a></li>"
        html += "<li><a href=\"experiments.html\">\(r.experiments.count) experiments</a></li></ul>"
        if let v = r.visualizations.first { html += HTML.provenance("Visualizations", v.command) }
        if let s = r.saliency.first { html += HTML.provenance("Saliency", s.command) }
        if let a = r.attacks.first { html += HTML.provenance("Attacks", a.command) }
        html += "<div class=\"grid\">" + layers.compactMap { l in r.visualizations.first { $0.layer == l } }
            .map { HTML.figure($0.image, "<a href=\"layers.html#\(HTML.escape($0.layer))\">\(HTML.escape($0.layer))</a>", alt: $0.layer) }
            .joined() + "</div>"
        return html
    }
}
