import Foundation

/// One attack against the defended model: how often it succeeds, how often each detector flags its successes, and
/// the accuracy left after each input transform.
public struct DefenseRow: Codable, Sendable, Equatable {
    /// "clean", "pgd", "adv2", "advedge", "advedge+" or "adaptive-pgd".
    public var attack: String
    /// Interpreter attacked ("grad", "cam", "gradcam"), "-" for classifier attacks.
    public var interpreter: String
    public var eps: Double
    /// Images attacked (clean images the model classifies correctly).
    public var images: Int
    /// Fraction of images whose attack goal is reached (untargeted: misclassified; targeted: the target predicted).
    public var successRate: Double
    /// Detector key → fraction of the successful adversarial images flagged (on "clean": the held-out false-positive
    /// rate). Absent when no attack succeeded.
    public var detection: [String: Double]
    /// "none" or a transform ("bits:4", "jpeg:75", ...) → accuracy on the images after that transform.
    public var accuracy: [String: Double]
    /// Interpreter attacks: mean top-k% IoU (k = 10%…90%) of the adversarial map with the clean map over the
    /// successful images; nil for the other rows.
    public var iou: [Double]? = nil
}

/// The result of a `DefenseEvaluation` run.
public struct DefenseReport: Codable, Sendable {
    public var settings: DefenseEvaluation.Settings
    /// Detector key → its full description (squeezers or interpreters).
    public var detectors: [String: String]
    /// Detector key → threshold calibrated on the clean calibration images.
    public var thresholds: [String: Double]
    /// The clean row, the attacks at `settings.eps` and the adaptive attack.
    public var rows: [DefenseRow]
    /// PGD at each ε of `settings.epsSweep`.
    public var sweep: [DefenseRow]
    public var seconds: Double

    /// Column headers of `tableRows`.
    public var tableColumns: [String] {
        ["attack", "interpreter", "ε", "images", "success"] + detectorKeys.map { "TPR \($0)" }
            + accuracyKeys.map { $0 == "none" ? "accuracy" : "acc. \($0)" }
    }

    /// One line per row (percentages with one decimal).
    public var tableRows: [[String]] {
        rows.map { r in
            [r.attack, r.interpreter, String(format: "%.3g", r.eps), "\(r.images)", percent(r.successRate)]
                + detectorKeys.map { r.detection[$0].map(percent) ?? "-" }
                + accuracyKeys.map { r.accuracy[$0].map(percent) ?? "-" }
        }
    }

    /// The table as GitHub markdown.
    public var markdown: String {
        let lines = [tableColumns, tableColumns.map { _ in "---" }] + tableRows
        return lines.map { "| " + $0.joined(separator: " | ") + " |" }.joined(separator: "\n") + "\n"
    }

    var detectorKeys: [String] { detectors.keys.sorted() }
    var accuracyKeys: [String] { ["none"] + settings.transforms }

    private func percent(_ v: Double) -> String { String(format: "%.1f%%", 100 * v) }
}
