import Foundation
import GlimpseGallery
import Testing

@Suite struct SiteBuilderTests {
    static func temporaryFolder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Tags that must be closed, checked as a stack (void elements like img/link/meta/rect/line/br need no closing tag).
    static func unbalancedTag(_ html: String) -> String? {
        let void: Set<String> = ["img", "link", "meta", "br", "rect", "line", "polyline", "!doctype"]
        var stack: [String] = []
        var rest = Substring(html)
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { return "unterminated tag" }
            let tag = rest[rest.index(after: open)..<close]
            rest = rest[rest.index(after: close)...]
            let name = tag.split(whereSeparator: { $0 == " " || $0 == "/" && tag.first != "/" }).first.map { $0.lowercased() } ?? ""
            if tag.hasPrefix("/") {
                let closing = String(tag.dropFirst()).lowercased()
                guard stack.popLast() == closing else { return "</\(closing)> closes \(stack.last ?? "nothing")" }
            } else if !void.contains(name) && !tag.hasSuffix("/") {
                stack.append(name)
            }
        }
        return stack.isEmpty ? nil : "unclosed <\(stack.last!)>"
    }

    @Test func everyPageIsBalancedHTMLWithWorkingLinks() throws {
        let folder = try Self.temporaryFolder("site")
        defer { try? FileManager.default.removeItem(at: folder) }
        let records = try FixtureGallery.records(in: folder)
        try SiteBuilder.build(records, into: folder, assets: FixtureGallery.assets)
        for page in ["index.html", "layers.html", "saliency.html", "attacks.html", "experiments.html"] {
            let html = try String(contentsOf: folder.appendingPathComponent(page), encoding: .utf8)
            #expect(html.hasPrefix("<!DOCTYPE html>"))
            #expect(Self.unbalancedTag(html) == nil, "\(page): \(Self.unbalancedTag(html) ?? "")")
            #expect(!html.contains("cat & dog"), "\(page): unescaped text")
            let targets = ["href=\"", "src=\""].flatMap { attribute in
                html.components(separatedBy: attribute).dropFirst().compactMap { $0.split(separator: "\"").first.map(String.init) }
            }
            #expect(targets.count >= 7, "\(page)")
            for target in targets {
                let path = String(target.split(separator: "#", omittingEmptySubsequences: false).first ?? "")
                if path.isEmpty { continue }
                #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path), "\(page) links to missing \(path)")
            }
        }
        let saliency = try String(contentsOf: folder.appendingPathComponent("saliency.html"), encoding: .utf8)
        #expect(saliency.contains("class=\"sortable\"") && saliency.contains("data-sort=\"0.1\""))
        #expect(saliency.components(separatedBy: "<svg").count - 1 == 2, "a deletion and an insertion plot")
        let attacks = try String(contentsOf: folder.appendingPathComponent("attacks.html"), encoding: .utf8)
        #expect(attacks.contains("edge map") && attacks.contains("lynx") && attacks.contains("iou"))
        let layers = try String(contentsOf: folder.appendingPathComponent("layers.html"), encoding: .utf8)
        #expect(layers.contains("class-agnostic view") && layers.contains("source image"))
        // records.json round-trips to the same gallery.
        let reloaded = try GalleryRecords.load([folder.appendingPathComponent("records.json")])
        #expect(reloaded.attacks.count == 1 && reloaded.experiments.count == 1 && reloaded.saliency.count == 2)
    }

    @Test func recordsPointingAtMissingFilesAreRejected() throws {
        let folder = try Self.temporaryFolder("missing")
        defer { try? FileManager.default.removeItem(at: folder) }
        var records = try FixtureGallery.records(in: folder)
        records.attacks[0].edgeMap = "images/nope.png"
        #expect {
            try SiteBuilder.build(records, into: folder, assets: FixtureGallery.assets)
        } throws: { "\($0)".contains("images/nope.png") }
        let bad = folder.appendingPathComponent("bad.json")
        try Data("{\"saliency\": 3}".utf8).write(to: bad)
        #expect { try GalleryRecords.load([bad]) } throws: { "\($0)".contains("not a gallery record file") }
    }

    /// Record files of one kind only (for example what `glimpse attack` writes) load with the other lists empty.
    @Test func partialRecordFilesLoad() throws {
        let folder = try Self.temporaryFolder("partial")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("r.json")
        try Data("{\"title\": \"t\", \"experiments\": []}".utf8).write(to: file)
        let r = try GalleryRecords.load([file])
        #expect(r.title == "t" && r.visualizations.isEmpty && r.attacks.isEmpty)
    }
}
