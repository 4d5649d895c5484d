import Foundation

/// Writes the static gallery site (index, layers, saliency, attacks and experiments pages) from records. Image paths
/// in records are relative to the output folder; pages link to them and to `records.json`.
public enum SiteBuilder {
    public enum BuildError: Error, CustomStringConvertible {
        case missingFile(String)
        case noAssets(String)
        case badRecords(String)
        public var description: String {
            switch self {
            case let .missingFile(p): return "gallery record points to a missing file: \(p)"
            case let .noAssets(m), let .badRecords(m): return m
            }
        }
    }

    /// Files copied from the `gallery/` assets folder into every built site.
    static let assetFiles = ["style.css", "sortable.js"]

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
        let fm = FileManager.default
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        for path in records.referencedFiles where !fm.fileExists(atPath: folder.appendingPathComponent(path).path) {
            throw BuildError.missingFile(path)
        }
        for name in assetFiles {
            let source = assets.appendingPathComponent(name)
            guard fm.fileExists(atPath: source.path) else { throw BuildError.noAssets("gallery asset missing: \(source.path)") }
            try write(Data(contentsOf: source), to: folder.appendingPathComponent(name))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try write(try encoder.encode(records), to: folder.appendingPathComponent("records.json"))
        let bodies = ["index.html": IndexPage.body(records), "layers.html": LayersPage.body(records),
                      "saliency.html": SaliencyPage.body(records), "attacks.html": AttacksPage.body(records),
                      "experiments.html": ExperimentsPage.body(records)]
        for (file, heading) in HTML.pages {
            try write(Data(HTML.page(records.title, heading, bodies[file] ?? "").utf8), to: folder.appendingPathComponent(file))
        }
        return folder.appendingPathComponent("index.html")
    }

    /// Writes through a temporary file and a rename, so a page is never seen half-written.
    static func write(_ data: Data, to url: URL) throws {
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        try data.write(to: tmp)
        guard rename(tmp.path, url.path) == 0 else { throw BuildError.missingFile("cannot write \(url.path)") }
    }
}
