import ArgumentParser
import Foundation
import GlimpseCore
import GlimpseGallery
import GlimpseImage
import GlimpseModels
import GlimpseSaliency

struct Gallery: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build a static HTML gallery of visualizations and saliency maps.",
        subcommands: [Demo.self, Build.self]
    )

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the pages from records.json files without recomputing (images must be in --out).")

        @Argument(help: "Record files (records.json of `gallery demo`, or files of visualizations, saliency, attacks or experiments).")
        var records: [String]

        @Option(name: .long, help: "Gallery folder (holding the images the records name).")
        var out: String

        func run() throws {
            let merged = try GalleryRecords.load(records.map { URL(fileURLWithPath: $0) })
            let index = try SiteBuilder.build(merged, into: URL(fileURLWithPath: out), assets: SiteBuilder.assetsFolder())
            print("open \(index.path)")
        }
    }
}
