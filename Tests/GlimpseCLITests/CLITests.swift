import Foundation
import GlimpseImage
import Testing

/// Runs the built `glimpse` executable (it sits beside the test bundle) and checks outputs and exit statuses.
enum CLI {
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("glimpse")
    }
    static var photos: URL {
        let cache = ProcessInfo.processInfo.environment["GLIMPSE_CACHE"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/glimpse")
        return cache.appendingPathComponent("photos")
    }
    static var ready: Bool {
        let ok = FileManager.default.fileExists(atPath: executable.path)
            && FileManager.default.fileExists(atPath: photos.appendingPathComponent("chelsea.png").path)
        if !ok { print("skipped: glimpse executable or photos missing (build with --build-tests, run scripts/setup.sh)") }
        return ok
    }

    static func run(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}

@Suite(.enabled(if: CLI.ready)) struct CLITests {
    @Test func classifyPrintsParsableJSON() throws {
        let r = try CLI.run(["classify", "--json", "--top", "2", CLI.photos.appendingPathComponent("chelsea.png").path])
        #expect(r.status == 0)
        let doc = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        let results = doc?["results"] as? [[String: Any]]
        let top = results?.first?["top"] as? [[String: Any]]
        #expect(top?.first?["index"] as? Int == 285)
        #expect(top?.count == 2)
    }

    @Test func layersJSONListsTheHeadActivation() throws {
        let r = try CLI.run(["layers", "--json"])
        #expect(r.status == 0)
        let doc = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        let layers = doc?["layers"] as? [[String: Any]]
        let head = layers?.first { $0["path"] as? String == "_head_act" }
        #expect(head?["outputShape"] as? [Int] == [1, 1280, 7, 7])
        #expect(doc?["parameters"] as? Int == 4_652_008)
    }

    @Test func saliencyWritesMapsAndPicturesForEveryFastMethod() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-cli-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let methods = ["vanilla", "gradient-x-input", "guided-backprop", "deconvnet", "guided-gradcam", "gradcam", "gradcam++",
                       "xgradcam", "hirescam", "layercam"]
        let r = try CLI.run(["saliency", "--method", methods.joined(separator: ","), "--npy", dir.path, "--png", dir.path,
                             CLI.photos.appendingPathComponent("chelsea.png").path])
        #expect(r.status == 0, "\(r.err)")
        for m in methods {
            for ext in ["npy", "png"] {
                let name = "chelsea_\(m)_285.\(ext)"
                #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path), "\(name)")
            }
        }
    }

    @Test func galleryDemoBuildsLinkedPages() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-gallery-\(getpid())")
        let photos = dir.appendingPathComponent("photos")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: CLI.photos.appendingPathComponent("chelsea.png"), to: photos.appendingPathComponent("chelsea.png"))
        let out = dir.appendingPathComponent("site")
        let r = try CLI.run(["gallery", "demo", "--out", out.path, "--photos", photos.path, "--layers", "_blocks.4",
                             "--channels", "2", "--steps", "2", "--methods", "gradcam,vanilla", "--curve-step", "7168"])
        #expect(r.status == 0, "\(r.err)")
        for page in ["index.html", "layers.html", "saliency.html", "attacks.html", "experiments.html"] {
            let html = try String(contentsOf: out.appendingPathComponent(page), encoding: .utf8)
            #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("</html>"))
            // Every local link and image exists.
            let targets = ["href=\"", "src=\""].flatMap { attribute in
                html.components(separatedBy: attribute).dropFirst().compactMap { $0.split(separator: "\"").first.map(String.init) }
            }
            #expect(targets.count > 5)
            for target in targets where !target.hasPrefix("#") {
                let path = String(target.split(separator: "#").first ?? "")
                #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(path).path), "\(page) links to missing \(path)")
            }
        }
        // Every page type renders in a real browser: the header bar, text, and (except the empty experiments page) pictures.
        if Browser.chromium == nil { print("skipped: Chromium not installed (scripts/setup.sh --test installs Debian's chromium)") }
        let shots = ProcessInfo.processInfo.environment["GLIMPSE_SCREENSHOTS"].map { URL(fileURLWithPath: $0) } ?? dir
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        for page in ["index", "layers", "saliency", "attacks", "experiments"] where Browser.chromium != nil {
            let shot = shots.appendingPathComponent("\(page).png")
            let status = try Browser.screenshot(out.appendingPathComponent("\(page).html"), to: shot,
                                                profile: dir.appendingPathComponent(".chromium"))
            #expect(status == 0, "chromium exit \(status) on \(page)")
            let image = try ImageCodec.load(contentsOf: shot)
            #expect(image.width == 1200 && image.height == 900)
            #expect(image.pixels[3 * (10 * image.width + 600)] < 60, "\(page): no header bar")
            let (ink, colours) = Browser.inkAndColours(image)
            print("\(page).html in Chromium: \(String(format: "%.1f", ink * 100)) % ink, \(colours) coarse colours")
            #expect(ink > 0.05, "\(page): almost blank")
            if page != "experiments" { #expect(colours > 40, "\(page): pictures not rendered") }
        }
        // The pages can be rebuilt from the records alone.
        let rebuilt = try CLI.run(["gallery", "build", out.appendingPathComponent("records.json").path, "--out", out.path])
        #expect(rebuilt.status == 0, "\(rebuilt.err)")
    }

    /// Bad input: one line on stderr, non-zero exit, never a crash.
    @Test(arguments: [
        ["classify", "/nonexistent.png"],
        ["classify", "--top", "0", "x.png"],
        ["classify", "--model", "vgg99", "x.png"],
        ["classify", "--weights", "/etc/hostname", "x.png"],
        ["saliency", "--method", "nope", "x.png"],
        ["saliency", "--layer", "_blocks.99"],
        ["layers", "--model", "resnet18"],
    ])
    func badInputGivesAOneLineError(args: [String]) throws {
        var a = args
        if args.last == "_blocks.99" { a.append(CLI.photos.appendingPathComponent("chelsea.png").path) }
        let r = try CLI.run(a)
        #expect(r.status != 0)
        #expect(r.status < 128, "killed by a signal: \(r.status)")
        let firstLine = r.err.split(separator: "\n").first.map(String.init) ?? ""
        #expect(firstLine.hasPrefix("Error:"), "stderr: \(r.err)")
    }

    @Test func corruptImageIsAnError() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-bad-\(getpid()).png")
        defer { try? FileManager.default.removeItem(at: file) }
        let good = try Data(contentsOf: CLI.photos.appendingPathComponent("chelsea.png"))
        try good.prefix(good.count / 2).write(to: file)
        let r = try CLI.run(["classify", file.path])
        #expect(r.status == 1)
        #expect(r.err.contains("truncated") || r.err.contains("corrupt"), "\(r.err)")
    }
}
