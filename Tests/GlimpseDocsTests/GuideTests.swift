import Foundation
import GlimpseModels
import Testing

/// Docs/GUIDE.md must not drift from the code: its Swift blocks are compiled and run (GuideExamples.swift holds them
/// verbatim), and its `glimpse` command lines name real subcommands and options.
@Suite struct GuideTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let guide = (try? String(contentsOf: root.appendingPathComponent("Docs/GUIDE.md"), encoding: .utf8)) ?? ""

    /// Fenced blocks of a language, each as its lines.
    static func blocks(_ language: String, in text: String) -> [[String]] {
        var out: [[String]] = [], current: [String]?
        for line in text.components(separatedBy: "\n") {
            if current == nil, line.trimmingCharacters(in: .whitespaces) == "```\(language)" { current = []; continue }
            if current != nil, line.trimmingCharacters(in: .whitespaces) == "```" { out.append(current!); current = nil; continue }
            current?.append(line)
        }
        return out
    }

    static func trimmed(_ lines: [String]) -> [String] {
        lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    @Test func everySwiftBlockIsCompiledVerbatim() throws {
        let source = try String(contentsOf: Self.root.appendingPathComponent("Tests/GlimpseDocsTests/GuideExamples.swift"), encoding: .utf8)
        let compiled = source.components(separatedBy: "// guide: begin").dropFirst().map {
            Self.trimmed(($0.components(separatedBy: "// guide: end").first ?? "").components(separatedBy: "\n"))
        }
        let shown = Self.blocks("swift", in: Self.guide).map(Self.trimmed)
        #expect(shown.count >= 5)
        #expect(shown.count == compiled.count, "guide has \(shown.count) Swift blocks, GuideExamples.swift \(compiled.count)")
        for (i, block) in shown.enumerated() {
            #expect(compiled.contains(block), "Swift block \(i + 1) of Docs/GUIDE.md is not in GuideExamples.swift verbatim:\n\(block.joined(separator: "\n"))")
        }
    }

    @Test func theSwiftExamplesRun() throws {
        guard FileManager.default.fileExists(atPath: ModelZoo.cacheDirectory.appendingPathComponent(ModelZoo.liteCheckpointName).path),
              FileManager.default.fileExists(atPath: GuideExamples.photos.appendingPathComponent("chelsea.png").path) else {
            print("skipped: the guide's examples need the EfficientNet-Lite0 weights and photos (run scripts/setup.sh)")
            return
        }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-guide-\(getpid())")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }
        try GuideExamples.run(output: out)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("gradcam.png").path))
    }

    /// Each `glimpse SUB [SUB2] --option` line: the subcommand's --help succeeds and lists every option used.
    @Test func everyCommandLineUsesRealSubcommandsAndOptions() throws {
        let binary = Self.root.appendingPathComponent(".build/release/glimpse")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            print("skipped: build the release tool first (swift build -c release)")
            return
        }
        let lines = Self.blocks("sh", in: Self.guide).flatMap { $0 }.map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix("glimpse ") }
        #expect(lines.count >= 8)
        for line in lines {
            let words = line.components(separatedBy: "#")[0].split(separator: " ").map(String.init).dropFirst()
            let subcommands = Array(words.prefix { !$0.hasPrefix("-") && !$0.contains("/") && !$0.contains(".") })
            let options = words.filter { $0.hasPrefix("--") }.map { String($0.split(separator: "=")[0]) }
            let help = try Self.run(binary, subcommands + ["--help"])
            #expect(help.status == 0, "\(line): `glimpse \(subcommands.joined(separator: " ")) --help` failed")
            for option in options {
                #expect(help.out.contains(option), "\(line): \(option) is not an option of glimpse \(subcommands.joined(separator: " "))")
            }
        }
    }

    static func run(_ binary: URL, _ args: [String]) throws -> (status: Int32, out: String) {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
