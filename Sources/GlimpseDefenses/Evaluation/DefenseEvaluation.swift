import Foundation
import GlimpseAttacks
import GlimpseCore
import GlimpseFormats
import GlimpseModels

/// Measures the detection and input-transform defenses against the attacks of GlimpseAttacks: each detector's
/// threshold is calibrated on clean images at a fixed false-positive rate, then applied to the adversarial images
/// of PGD, ADV², AdvEdge and AdvEdge+ (per interpreter) and of adaptive PGDs that also minimise the
/// feature-squeezing score or the interpreter-ensemble score; each input transform is applied to the adversarial images to see how much accuracy it
/// recovers.
///
/// Detection rates are over the *successful* adversarial images (Xu et al.'s convention); accuracies are over all
/// attacked images. The calibration images and the attacked images are disjoint; the clean row reports the
/// false-positive rate on the attacked images' clean versions (held out from calibration).
public struct DefenseEvaluation {
    /// What to run. Transforms and squeezers are written as `InputTransform(parsing:)` accepts them.
    public struct Settings: Codable, Sendable, Equatable {
        public var eps: Float = 0.1
        /// PGD budgets of the detection-rate-vs-ε sweep.
        public var epsSweep: [Float] = [0.02, 0.05, 0.1, 0.2]
        public var pgdSteps = 20
        /// Schedule of the interpreter attacks.
        public var interpreterPreset: AttackPreset = .quick
        /// Interpreters the interpreter attacks target ("grad", "cam", "gradcam").
        public var interpreters = ["grad", "cam"]
        /// Weight c of the detector score in the adaptive attack.
        public var adaptiveC: Float = 1
        /// Weight c of the interpreter-ensemble score in the adaptive attack against the ensemble.
        public var adaptiveEnsembleC: Float = 1
        /// Feature squeezing's squeezers: Xu et al.'s MNIST setting (1-bit depth, 2×2 median).
        public var squeezers = ["bits:1", "median:2"]
        public var transforms = ["bits:4", "median:2", "jpeg:75", "gaussian:1"]
        public var falsePositiveRate = 0.05
        public var seed: UInt64 = 0

        public init() {}
    }

    public var settings: Settings
    public let model: any Classifier

    public init(model: any Classifier, settings: Settings = Settings()) { (self.model, self.settings) = (model, settings) }

    /// Runs everything: `calibration` are clean images (with labels) for the thresholds, `attacked` the images to
    /// attack (those misclassified already are dropped). With `resumeFolder`, every finished row is stored there and
    /// a later run with the same settings and images reuses it. `progress` receives one line per finished stage,
    /// `computed` the key of each row measured in this call (rows reused from `resumeFolder` are not reported).
    public func run(calibration: Tensor, attacked: Tensor, labels: [Int], resumeFolder: URL? = nil,
                    progress: (String) -> Void = { _ in }, computed: @escaping (String) -> Void = { _ in }) throws -> DefenseReport {
        let start = Date()
        let transforms = try settings.transforms.map { ($0, try InputTransform(parsing: $0)) }
        let squeezing = try FeatureSqueezingDetector(model: model, squeezers: settings.squeezers.map(InputTransform.init(parsing:)))
        let ensemble = try InterpreterEnsembleDetector(model: model)
        let detectors: [(key: String, detector: any AdversarialDetector)] = [("squeezing", squeezing), ("ensemble", ensemble)]
        var thresholds: [DetectionThreshold] = []
        for (key, detector) in detectors {
            thresholds.append(try DetectionThreshold(calibratingOn: detector.scores(calibration),
                                                     falsePositiveRate: settings.falsePositiveRate))
            progress("calibrated \(key) at \(thresholds.last!.value)")
        }
        let (x, y) = try correctlyClassified(attacked, labels)
        let measure = RowMeasure(model: model, detectors: detectors, thresholds: thresholds, transforms: transforms)

        let store = RowStore(folder: resumeFolder, settings: settings, thresholds: thresholds.map(\.value), labels: y, computed: computed)
        var rows = [try store.row("clean") { try measure.cleanRow(x, labels: y) }]
        rows.append(try store.row("pgd") {
            let r = try self.pgd(eps: settings.eps).attack(model, images: x, labels: y)
            return try measure.row("pgd", "-", eps: settings.eps, adversarial: r.adversarial, labels: y, success: r.success)
        })
        progress("pgd done")
        for name in settings.interpreters {
            let interpreter = try AttackSettings.interpreter(named: name)
            for method in InterpreterAttackMethod.allCases {
                rows.append(try store.row("\(method.rawValue)-\(name)") {
                    var attack = InterpreterAttack.preset(settings.interpreterPreset, method: method, interpreter: interpreter)
                    attack.eps = settings.eps
                    attack.seed = settings.seed
                    let run = try attack.attack(model, images: x, labels: y), r = run.result
                    var row = try measure.row(method.rawValue, name, eps: settings.eps, adversarial: r.adversarial, labels: y, success: r.success)
                    row.iou = try Self.meanIoU(run, success: r.success)
                    return row
                })
                progress("\(method.rawValue) on \(name) done")
            }
        }
        // The adaptive PGD against each differentiable detector.
        let adaptiveRuns: [(key: String, detector: any DifferentiableDetector, c: Float, done: String)] = [
            ("adaptive-pgd", squeezing, settings.adaptiveC, "adaptive pgd done"),
            ("adaptive-pgd-ensemble", ensemble, settings.adaptiveEnsembleC, "adaptive pgd against the ensemble done"),
        ]
        for run in adaptiveRuns {
            rows.append(try store.row(run.key) {
                let adaptive = try AdaptivePGD(detector: run.detector, eps: settings.eps, alpha: settings.eps / 8, steps: settings.pgdSteps * 2,
                                               c: run.c, seed: settings.seed).attack(images: x, labels: y)
                let success = zip(Prediction.argmax(try model.logits(adaptive)), y).map { $0 != $1 }
                return try measure.row(run.key, "-", eps: settings.eps, adversarial: adaptive, labels: y, success: success)
            })
            progress(run.done)
        }

        var sweep: [DefenseRow] = []
        for (i, eps) in settings.epsSweep.enumerated() {
            sweep.append(try store.row("sweep-\(i)") {
                let r = try self.pgd(eps: eps).attack(model, images: x, labels: y)
                return try measure.row("pgd", "-", eps: eps, adversarial: r.adversarial, labels: y, success: r.success)
            })
            progress("pgd sweep ε = \(eps) done")
        }
        return DefenseReport(settings: settings,
                             detectors: Dictionary(uniqueKeysWithValues: detectors.map { ($0.key, $0.detector.name) }),
                             thresholds: Dictionary(uniqueKeysWithValues: zip(detectors.map(\.key), thresholds.map { Double($0.value) })),
                             rows: rows, sweep: sweep, seconds: Date().timeIntervalSince(start))
    }

    /// Top-k% IoU (10%…90%) between each successful image's adversarial map and its clean map, averaged over the
    /// successful images; nil when none succeeded.
    static func meanIoU(_ run: InterpreterAttackResult, success: [Bool]) throws -> [Double]? {
        let succeeded = success.indices.filter { success[$0] }
        guard !succeeded.isEmpty else { return nil }
        var sum = [Double](repeating: 0, count: MapMetrics.defaultFractions.count)
        for i in succeeded {
            let clean = try run.cleanMaps.sliced(axis: 0, i..<(i + 1)).scalars
            let adversarial = try run.adversarialMaps.sliced(axis: 0, i..<(i + 1)).scalars
            for (k, v) in MapMetrics.topKIoU(adversarial, clean).enumerated() { sum[k] += v }
        }
        return sum.map { $0 / Double(succeeded.count) }
    }

    /// Untargeted PGD-L∞ with Madry's step α = 2.5·ε/steps and a random start.
    func pgd(eps: Float) -> PGDLinf {
        PGDLinf(eps: eps, alpha: 2.5 * eps / Float(settings.pgdSteps), steps: settings.pgdSteps, randomStart: true, seed: settings.seed)
    }

    /// The images the model classifies correctly, with their labels; throws when there are none.
    func correctlyClassified(_ x: Tensor, _ labels: [Int]) throws -> (Tensor, [Int]) {
        guard x.rank == 4, labels.count == x.shape[0], !labels.isEmpty else {
            throw DefenseError.badInput("the attacked images must be [N, C, H, W] with N ≥ 1 labels, got \(x.shape) and \(labels.count)")
        }
        let predicted = Prediction.argmax(try model.logits(x))
        let keep = labels.indices.filter { predicted[$0] == labels[$0] }
        guard !keep.isEmpty else { throw DefenseError.badInput("the model misclassifies every image to attack") }
        return (try Self.select(x, keep), keep.map { labels[$0] })
    }

    /// Images `indices` of x, in order.
    static func select(_ x: Tensor, _ indices: [Int]) throws -> Tensor {
        try Tensor.concatenate(indices.map { try x.sliced(axis: 0, $0..<($0 + 1)) }, axis: 0)
    }

    /// `$GLIMPSE_CACHE/test-runs/fmnist-cnn-seed0/model.safetensors`: the Fashion-MNIST CNN that GlimpseTrainingTests
    /// trains (seed 0, the recipe of `glimpse train`) and caches.
    public static var cachedFashionCNNWeights: URL {
        ModelZoo.cacheDirectory.appendingPathComponent("test-runs/fmnist-cnn-seed0/model.safetensors")
    }

    /// The Fashion-MNIST CNN with the weights of a safetensors file (`glimpse train`'s model.safetensors).
    public static func loadFashionCNN(_ url: URL) throws -> FashionCNN {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw DefenseError.badInput("no weights at \(url.path): train with `glimpse train` or run FashionMNISTAccuracyTests")
        }
        return try FashionCNN(stateDict: Safetensors.load(contentsOf: url))
    }
}

/// Scores one set of adversarial images with every detector and transform.
struct RowMeasure {
    let model: any Classifier
    let detectors: [(key: String, detector: any AdversarialDetector)]
    let thresholds: [DetectionThreshold]
    /// (name in the settings, transform).
    let transforms: [(String, InputTransform)]

    /// The clean images: no attack succeeds, "detection" is the held-out false-positive rate.
    func cleanRow(_ x: Tensor, labels: [Int]) throws -> DefenseRow {
        var r = try row("clean", "-", eps: 0, adversarial: x, labels: labels, success: labels.map { _ in true })
        r.successRate = 0
        return r
    }

    func row(_ attack: String, _ interpreter: String, eps: Float, adversarial: Tensor, labels: [Int],
             success: [Bool]) throws -> DefenseRow {
        let succeeded = success.indices.filter { success[$0] }
        var detection: [String: Double] = [:]
        if !succeeded.isEmpty {
            let flagged = try DefenseEvaluation.select(adversarial, succeeded)
            for (i, d) in detectors.enumerated() {
                detection[d.key] = thresholds[i].flaggedFraction(try d.detector.scores(flagged))
            }
        }
        var accuracy = ["none": try accuracyOf(adversarial, labels)]
        for (name, t) in transforms { accuracy[name] = try accuracyOf(withoutGradient { try t.apply(adversarial) }, labels) }
        return DefenseRow(attack: attack, interpreter: interpreter, eps: Double(eps), images: labels.count,
                          successRate: Double(succeeded.count) / Double(labels.count), detection: detection, accuracy: accuracy)
    }

    private func accuracyOf(_ x: Tensor, _ labels: [Int]) throws -> Double {
        let p = Prediction.argmax(try model.logits(x))
        return Double(zip(p, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }
}
