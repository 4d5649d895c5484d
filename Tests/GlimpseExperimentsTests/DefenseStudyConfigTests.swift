import Foundation
import GlimpseExperiments
import Testing

/// The study config: defaults for what is left out, one-line errors for what is wrong.
@Suite struct DefenseStudyConfigTests {
    @Test func missingSectionsTakeTheirDefaultsAndOptionNumbersStayText() throws {
        let c = try DefenseStudyConfig.parse("""
        models:
          - {name: baseline, regularizer: none}
          - {name: adv, regularizer: adversarial, options: {adv-steps: 3, adv-eps: 0.05}}
        data: {attacked: 40}
        """)
        #expect(c.name == "defenses")
        #expect(c.data.attacked == 40 && c.data.calibration == 200 && c.data.train == nil)
        #expect(c.training.epochs == 1 && c.training.optimizer == "adamw")
        #expect(c.models[1].options == ["adv-steps": "3", "adv-eps": "0.05"])
        #expect(c.attacks.interpreters == ["grad", "cam", "gradcam"])
        #expect(c.attacks.settings.falsePositiveRate == 0.05)
    }

    @Test func atNameOptionsBecomeAnEarlierModelsWeights() throws {
        let c = try DefenseStudyConfig.parse("""
        models:
          - {name: baseline, regularizer: none}
          - {name: doctor, regularizer: model-doctor, options: {doctor-model: "@baseline", doctor-alpha: 10}}
          - {name: bad, regularizer: model-doctor, options: {doctor-model: "@later"}}
          - {name: later, regularizer: none}
        """)
        let folder = URL(fileURLWithPath: "/tmp/study")
        let study = DefenseStudy(config: c, folder: folder) { _, _ in nil }
        #expect(try study.resolved(c.models[1]) == ["doctor-model": "/tmp/study/models/baseline/model.safetensors", "doctor-alpha": "10"])
        #expect(throws: ExperimentError.self) { try study.resolved(c.models[2]) }
        #expect(try study.resolved(c.models[0]) == [:])
    }

    @Test(arguments: ["defenses-quick", "defenses-full"])
    func checkedInConfigsLoad(_ name: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let c = try DefenseStudyConfig.load(contentsOf: root.appendingPathComponent("Docs/experiments/\(name).yaml"))
        #expect(c.models.first?.regularizer == "none")
        #expect(Set(["adversarial", "gbp-align", "cgc", "model-doctor"]).isSubset(of: c.models.map(\.regularizer)))
        #expect(c.attacks.interpreters == ["grad", "cam", "gradcam"])
    }

    @Test(arguments: [
        ("models: []", "no models"),
        ("models: [{name: a, regularizer: none}, {name: a, regularizer: cgc}]", "unique"),
        ("models: [{name: ../x, regularizer: none}]", "folder"),
        ("models: [{name: a, regularizer: none}]\ntraining: {epoch: 2}", "unknown key 'epoch'"),
        ("models: [{name: a, regularizer: none}]\nattacks: {interpreters: [lime]}", "lime"),
        ("models: [{name: a, regularizer: none}]\nfaithfulness: {methods: [nope]}", "nope"),
        ("models: [{name: a, regularizer: none}]\ndata: {attacked: 5, faithfulness: 9}", "faithfulness"),
        ("models: [{name: a, regularizer: none}]\ntraining: {optimizer: lbfgs}", "lbfgs"),
        ("data: {attacked: 5}", "models"),
    ])
    func badConfigsThrowOneLine(_ yaml: String, _ message: String) {
        do {
            _ = try DefenseStudyConfig.parse(yaml)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
            #expect(!"\(error)".contains("\n"), "\(error)")
        }
    }
}
