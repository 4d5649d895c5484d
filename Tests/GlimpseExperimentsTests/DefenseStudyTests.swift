import Foundation
import GlimpseDefenses
import GlimpseExperiments
import GlimpseTraining
import Testing

/// A tiny study end to end (two models, one short epoch on 512 images, a few attacked images): every table row
/// exists, a second run reuses everything, and deleting the last row recomputes only that row, with the same figures.
@Suite(.enabled(if: FashionMNIST.isAvailable(.train) && FashionMNIST.isAvailable(.test), "needs dataset-fashion-mnist"))
struct DefenseStudyTests {
    static let yaml = """
    name: tiny
    data: {train: 512, test: 500, calibration: 20, attacked: 6, faithfulness: 2}
    training: {epochs: 1, batchSize: 64, seed: 3}
    models:
      - {name: baseline, regularizer: none}
      - {name: gbp-align, regularizer: gbp-align, options: {align-weight: 0.0075}}
    faithfulness: {methods: [vanilla, gradcam], deletionStep: 98}
    attacks: {eps: 0.1, epsSweep: [0.05, 0.1], pgdSteps: 5, interpreters: [grad], transforms: [median:2]}
    """

    /// The two regularizers of the tiny config (the CLI passes `glimpse train`'s full list).
    static func regularizer(_ name: String, _ options: [String: String]) throws -> Regularizer? {
        switch name {
        case "none": return nil
        case "gbp-align": return .gradientAlignment(try GradientAlignment(lambda: Float(options["align-weight"] ?? "") ?? 7.5e-3))
        default: throw TrainingError.invalidSetting("unknown regularizer \(name)")
        }
    }

    /// Runs the study, returning the report and the keys of the rows it computed.
    static func run(_ config: DefenseStudyConfig, _ folder: URL, train: LabeledImages, test: LabeledImages)
        throws -> (report: DefenseStudyReport, computed: [String], reusedModels: [String]) {
        var computed: [String] = [], reused: [String] = []
        let report = try DefenseStudy(config: config, folder: folder, makeRegularizer: regularizer).run(train: train, test: test) { event in
            if case let .computed(key) = event { computed.append(key) }
            if case let .trained(model, true) = event { reused.append(model) }
        }
        return (report, computed, reused)
    }

    @Test func runsEndToEndAndResumesOnlyTheMissingRow() throws {
        let config = try DefenseStudyConfig.parse(Self.yaml)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-study-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let train = try FashionMNIST.load(.train), test = try FashionMNIST.load(.test)

        let first = try Self.run(config, folder, train: train, test: test)
        let defenseKeys = ["clean", "pgd", "adv2-grad", "advedge-grad", "advedge+-grad", "adaptive-pgd", "adaptive-pgd-ensemble", "sweep-0", "sweep-1"]
        #expect(first.computed.sorted() == ["baseline", "gbp-align"].flatMap { m in ["\(m)/model"] + defenseKeys.map { "\(m)/defense/\($0)" } }.sorted())
        #expect(first.reusedModels.isEmpty)
        try first.report.write(to: folder, command: "test")
        let attacks = first.report.attackTable(.csv)
        #expect(attacks.rows.count == 2 * 7)
        #expect(attacks.rows.map { $0[0] + " " + $0[1] } .contains("gbp-align advedge+"))
        let iouColumn = try #require(attacks.columns.firstIndex(of: "map IoU"))
        for row in attacks.rows where row[1].hasPrefix("adv") && row[1] != "adaptive-pgd" {
            let iou = try #require(Double(row[iouColumn]), "\(row)")
            #expect(iou >= 0 && iou <= 1)
        }
        #expect(first.report.modelTable(.csv).rows.count == 2 * 2)
        for m in first.report.models { #expect(m.scores.testAccuracy > 0.3, "\(m.name): \(m.scores.testAccuracy)") }
        for file in ["table.md", "models.csv", "attacks.csv", "study.json", "records.json"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path), "\(file)")
        }
        let csv = try String(contentsOf: folder.appendingPathComponent("attacks.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 1 + 2 * 7)

        let second = try Self.run(config, folder, train: train, test: test)
        #expect(second.computed.isEmpty)
        #expect(second.reusedModels == ["baseline", "gbp-align"])

        try FileManager.default.removeItem(at: folder.appendingPathComponent("rows/gbp-align/defense/adaptive-pgd.json"))
        let third = try Self.run(config, folder, train: train, test: test)
        #expect(third.computed == ["gbp-align/defense/adaptive-pgd"])
        #expect(third.report.attackTable(.csv) == attacks)
    }
}
