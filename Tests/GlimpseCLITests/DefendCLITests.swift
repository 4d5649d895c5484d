import Foundation
import Testing

/// `glimpse defend` rejects bad options with a one-line message and a non-zero exit, before any work.
@Suite struct DefendCLITests {
    @Test(arguments: [
        (["--eps", "2"], "--eps"),
        (["--squeezers", "bits:9"], "bit depth"),
        (["--adaptive-c", "-1"], "--adaptive-c"),
        (["--weights", "/nonexistent/model.safetensors"], "no weights"),
    ])
    func badOptionsFail(_ options: [String], _ message: String) throws {
        guard FileManager.default.fileExists(atPath: CLI.executable.path) else { return print("skipped: glimpse executable missing (build with --build-tests)") }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-defend-\(UUID().uuidString)")
        let r = try CLI.run(["defend", "--out", out.path] + options)
        #expect(r.status != 0)
        #expect(r.err.contains(message), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("defenses.json").path))
    }
}
