import Foundation

/// Writes the static gallery site (index, layer and saliency pages) from records. Image paths in records are
/// relative to the output folder; pages link to them and to `records.json`.
public enum SiteBuilder {
    public enum BuildError: Error, CustomStringConvertible {
        case missingFile(String)
        case noAssets(String)
        public var description: String {
            switch self {
            case let .missingFile(p): return "gallery record points to a missing file: \(p)"
            case let .noAssets(m): return m
            }
        }
    }

    /// The `gallery/` assets folder: `$GLIMPSE_GALLERY_ASSETS`, else found by walking up from the executable.
    public static func assetsFolder() throws -> URL {
        if let env = ProcessInfo.processInfo.environment["GLIMPSE_GALLERY_ASSETS"], !env.isEmpty { return URL(fileURLWithPath: env) }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("gallery/style.css")
            if FileManager.default.fileExists(atPath: candidate.path) { return dir.appendingPathComponent("gallery") }
            dir = dir.deletingLastPathComponent()
        }
        throw BuildError.noAssets("gallery assets (gallery/style.css) not found: set GLIMPSE_GALLERY_ASSETS to the repository's gallery/ folder")
    }

    /// Builds the site into `folder` (which already holds the images the records name). Returns the index page.
    @discardableResult
    public static func build(_ records: GalleryRecords, into folder: URL, assets: URL) throws -> URL {
        for path in records.visualizations.map(\.image) + records.saliency.flatMap({ [$0.overlay, $0.input] })
        where !FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path) {
            throw BuildError.missingFile(path)
        }
        let fm = FileManager.default
        let css = folder.appendingPathComponent("style.css")
        try? fm.removeItem(at: css)
        try fm.copyItem(at: assets.appendingPathComponent("style.css"), to: css)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try write(String(decoding: try encoder.encode(records), as: UTF8.self), to: folder.appendingPathComponent("records.json"))
        try write(page(records.title, "Layers", layersBody(records)), to: folder.appendingPathComponent("layers.html"))
        try write(page(records.title, "Saliency", saliencyBody(records)), to: folder.appendingPathComponent("saliency.html"))
        let index = folder.appendingPathComponent("index.html")
        try write(page(records.title, "Overview", indexBody(records)), to: index)
        return index
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func page(_ title: String, _ heading: String, _ body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head><meta charset="utf-8"><title>\(escape(title)) — \(escape(heading))</title>
        <link rel="stylesheet" href="style.css"></head>
        <body>
        <header><h1>\(escape(title))</h1><a href="index.html">Overview</a><a href="layers.html">Layers</a><a href="saliency.html">Saliency</a><a href="records.json">Records (JSON)</a></header>
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

    static func indexBody(_ r: GalleryRecords) -> String {
        let layers = Array(Set(r.visualizations.map(\.layer))).sorted()
        let photos = Array(Set(r.saliency.map(\.photo))).sorted()
        let methods = Array(Set(r.saliency.map(\.method))).sorted()
        var html = "<p>\(r.visualizations.count) channel visualizations of \(layers.count) layers; \(r.saliency.count) saliency maps of \(photos.count) photos by \(methods.count) methods.</p>"
        if let v = r.visualizations.first { html += "<p class=\"meta\">Visualizations: <code>\(escape(v.command))</code></p>" }
        if let s = r.saliency.first { html += "<p class=\"meta\">Saliency: <code>\(escape(s.command))</code></p>" }
        html += "<div class=\"grid\">" + layers.compactMap { l in r.visualizations.first { $0.layer == l } }
            .map { figure($0.image, "<a href=\"layers.html#\(escape($0.layer))\">\(escape($0.layer))</a>", alt: $0.layer) }.joined() + "</div>"
        return html
    }

    static func layersBody(_ r: GalleryRecords) -> String {
        let layers = Array(Set(r.visualizations.map(\.layer))).sorted()
        return layers.map { layer in
            let items = r.visualizations.filter { $0.layer == layer }.sorted { $0.channel < $1.channel }
            let meta = items.first.map { "\(escape($0.model)), \($0.steps) steps, seed \($0.seed)" } ?? ""
            return "<h2 id=\"\(escape(layer))\">\(escape(layer))</h2><p class=\"meta\">\(meta)</p><div class=\"grid\">"
                + items.map { figure($0.image, "channel \($0.channel)<br>objective \(String(format: "%.3f", $0.finalObjective))",
                                     alt: "\($0.layer) channel \($0.channel)") }.joined()
                + "</div>"
        }.joined()
    }

    static func saliencyBody(_ r: GalleryRecords) -> String {
        let photos = Array(Set(r.saliency.map(\.photo))).sorted()
        var html = "<table id=\"timing\"><tr><th>photo</th><th>method</th><th>class</th><th>ms</th></tr>"
        for s in r.saliency {
            html += "<tr><td>\(escape(s.photo))</td><td>\(escape(s.method))</td><td>\(s.targetClass) \(escape(s.className))</td><td>\(String(format: "%.1f", s.milliseconds))</td></tr>"
        }
        html += "</table>"
        for photo in photos {
            let items = r.saliency.filter { $0.photo == photo }
            guard let first = items.first else { continue }
            html += "<h2 id=\"\(escape(photo))\">\(escape(photo)): \(escape(first.className)) (class \(first.targetClass), p = \(String(format: "%.3f", first.probability)))</h2><div class=\"grid\">"
            html += figure(first.input, "input", alt: "\(photo) as the model sees it")
            html += items.map { figure($0.overlay, "\(escape($0.method))<br><span class=\"meta\">\(escape($0.paper))</span><br><a href=\"\(escape($0.map))\">map .npy</a>",
                                       alt: "\($0.method) map of \(photo)") }.joined()
            html += "</div>"
        }
        return html
    }

    static func write(_ text: String, to url: URL) throws {
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        try Data(text.utf8).write(to: tmp)
        guard rename(tmp.path, url.path) == 0 else { throw BuildError.missingFile("cannot write \(url.path)") }
    }
}
