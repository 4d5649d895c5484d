import Foundation
import Testing

/// `glimpse experiment defenses` rejects bad configs and unknown regularizers with a one-line message and a non-zero
/// exit, before training anything.
@Suite struct ExperimentDefensesCLITests {
    @Test(arguments: [
        ("models: [{name: a, regularizer: dropout}]", "unknown regularizer 'dropout'"),
        ("models: [{name: a, regularizer: adversarial, options: {adv-steps: 0}}]", "steps"),
        ("models: [{name: a, regularizer: gbp-align, options: {align-wieght: 1}}]", "align-wieght"),
        ("models: [{name: a, regularizer: none}]\ntraining: {epochs: 0}", "epochs"),
    ])
    func badConfigsFail(_ yaml: String, _ message: String) throws {
        guard FileManager.default.fileExists(atPath: CLI.executable.path) else { return print("skipped: glimpse executable missing (build with --build-tests)") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-study-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("study.yaml")
        try yaml.write(to: config, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let r = try CLI.run(["experiment", "defenses", config.path, "--out", out.path])
        #expect(r.status != 0)
        #expect(r.err.contains(message), "\(r.err)")
        #expect(r.err.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("models").path))
    }
}
