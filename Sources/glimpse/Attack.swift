import ArgumentParser
import Foundation
import GlimpseAttacks
import GlimpseCore
import GlimpseFormats
import GlimpseImage
import GlimpseModels

struct Attack: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attack a classifier, or a classifier and its interpreter, and write the adversarial images and maps.",
        discussion: """
        Methods: pgd (Madry et al. 2018, L∞), fgsm (Goodfellow et al. 2015), cw (Carlini & Wagner 2017, L2),
        stadv (Xiao et al. 2018, flow field), adv2 (Zhang et al. 2020), advedge and advedge+ (Abdukhamidov et al.,
        arXiv 2211.15926); the interpreter attacks run in --framework pgd (default), cw or stadv. Interpreters:
        grad, cam, gradcam, mask (Fong & Vedaldi's meaningful perturbation, attacked through its unrolled solver), and
        rts with --masker DIR (a masking model from glimpse masker train).
        Interpreter attacks run two stages (warm start on the prediction, then prediction + c × map distance to the
        clean map) with the schedule of --preset: `paper` (300 + 704 steps for grad, 300 + 1000 for cam/gradcam, 400 + 1000 for mask) or
        `quick` (40 + 60, a scaled-down schedule named as such in every output). ε = 0.031 and α = 1/255 unless given;
        pgd runs as many steps as the interpreter attack of the same preset, without the map term, so the two compare
        like for like. The goal is a random class other than the true one unless --goal says otherwise.

        Per image, in --out: <stem>_<method>_<interpreter>_adv.png (lossless), _perturbation.png (δ amplified to
        the full grey range, 0.5 = unchanged), _map_clean.png / _map_adv.png (overlays) with .npy maps on the
        interpreter's grid, and _record.json (success, confidence, L∞/L2, map L1/L2, top-k% IoU, SSIM, time).

        Example: glimpse attack --method advedge+ --interpreter grad --preset quick --out out/ photos/chelsea.png
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "pgd, fgsm, cw, stadv, adv2, advedge or advedge+.")
    var method: String = "pgd"

    @Option(name: .long, help: "Framework of an interpreter attack: pgd (L∞ sign steps), cw (tanh space, L2 penalty) or stadv (flow field).")
    var framework: String = "pgd"

    @Option(name: .long, help: "Interpreter attacked (and drawn): grad, cam, gradcam, mask or rts (needs --masker).")
    var interpreter: String = "cam"

    @Option(name: .long, help: "Masker folder of the rts interpreter (from glimpse masker train).")
    var masker: String?

    @Option(name: .long, help: "L∞ budget in [0, 1] pixel units (default 0.031).")
    var eps: Float?

    @Option(name: .long, help: "Step size (default 1/255).")
    var alpha: Float?

    @Option(name: .long, help: "Steps: of the classifier attack, or of stage 2 of an interpreter attack (preset stages scaled).")
    var steps: Int?

    @Option(name: .long, help: "Warm-start (stage 1) steps of an interpreter attack.")
    var warmStart: Int?

    @Option(name: .long, help: "Interpreter attacks: multiply the preset's interpretation weights c by this factor.")
    var mapWeightScale: Float?

    @Option(name: .long, help: "Grad interpreter: τ of the smooth ReLU surrogate in the backward pass (default 1e-4).")
    var gradTau: Float?

    @Option(name: .long, help: "Schedule: paper or quick.")
    var preset: String = "paper"

    @Option(name: .long, help: "Where AdvEdge applies the edge map: warm-start (the authors' code) or all (the paper).")
    var edgeStages: String = "warm-start"

    @Option(name: .long, help: "random, least-likely, untargeted (classifier attacks only) or a class index.")
    var goal: String = "random"

    @Option(name: .long, help: "Seed (targets; mixed with each image's name).")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Output folder.")
    var out: String

    @Argument(help: ArgumentHelp("Image files.", valueName: "image"))
    var images: [String]

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
    }

    func settings() throws -> AttackSettings {
        guard let m = AttackMethod(rawValue: method), m != .clean else {
            throw ValidationError("unknown method '\(method)'; known: pgd, fgsm, cw, stadv, adv2, advedge, advedge+")
        }
        guard let f = AttackFramework(rawValue: framework) else { throw ValidationError("--framework must be pgd, cw or stadv") }
        if f != .pgd, m.interpreterMethod == nil { throw ValidationError("--framework applies to adv2, advedge and advedge+ only") }
        guard let p = AttackPreset(rawValue: preset) else { throw ValidationError("unknown preset '\(preset)'; known: paper, quick") }
        guard let e = EdgeStages(rawValue: edgeStages) else { throw ValidationError("--edge-stages must be warm-start or all") }
        try AttackSettings.checkInterpreter(interpreter, masker: masker)
        return AttackSettings(method: m, interpreter: interpreter, preset: p, eps: eps, alpha: alpha, steps: steps,
                              warmStartSteps: warmStart, edgeStages: e, goal: try GoalSetting(parsing: goal), seed: seed, masker: masker, framework: f,
                              mapWeightScale: mapWeightScale, gradTau: gradTau)
    }

    func run() throws {
        let settings = try settings()
        let model = try modelOptions.load()
        let folder = URL(fileURLWithPath: out, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for path in images {
            let x = try model.preprocess(ImageCodec.load(contentsOf: URL(fileURLWithPath: path)))
            let label = Prediction.argmax(try model.logits(x))[0]
            let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            let name = "\(stem)_\(settings.recordMethod)_\(interpreter)"
            let run = try AttackRun.run(settings, model: model, image: stem, x: x, label: label) { step, total in
                Progress.update("\(stem) \(settings.recordMethod) (\(settings.preset.rawValue))", step: step, of: total)
            }
            if settings.method.interpreterMethod != nil { Progress.finish() }
            try AttackOutputs.write(run, clean: x, name: name, folder: folder)
            let r = run.record
            Progress.line(String(format: "%@ %@: class %d → %d (target %@), success %@, confidence %.3f, L∞ %.4f, map L2 %.3f, IoU %.3f, %.1f s",
                                 stem, settings.recordMethod, r.label, r.prediction, r.target.map(String.init) ?? "none", "\(r.success)",
                                 r.confidence, r.linf, r.mapL2, r.iouMean, r.seconds))
        }
    }
}

/// Files written for one attacked image.
enum AttackOutputs {
    static func write(_ run: AttackRun, clean: Tensor, name: String, folder: URL) throws {
        let (c, h, w) = (clean.shape[1], clean.shape[2], clean.shape[3])
        let adv = run.adversarial.scalars, x = clean.scalars
        try ImageCodec.write(RGBImage(planar: adv, channels: c, width: w, height: h), to: folder.appendingPathComponent("\(name)_adv.png"))
        let delta = zip(adv, x).map { $0 - $1 }
        let scale = max(delta.map(abs).max() ?? 0, 1e-12)
        try ImageCodec.write(RGBImage(planar: delta.map { 0.5 + 0.5 * $0 / scale }, channels: c, width: w, height: h),
                             to: folder.appendingPathComponent("\(name)_perturbation.png"))
        let picture = try RGBImage(planar: x, channels: c, width: w, height: h)
        let adversarialPicture = try RGBImage(planar: adv, channels: c, width: w, height: h)
        for (map, kind, base) in [(run.cleanMap, "clean", picture), (run.adversarialMap, "adv", adversarialPicture)] {
            let grid = [map.shape[map.rank - 2], map.shape[map.rank - 1]]
            try NPY.write(map.scalars, shape: grid, to: folder.appendingPathComponent("\(name)_map_\(kind).npy"))
            let full = try withoutGradient { try map.reshaped([1, 1] + grid).resizedBilinear(height: h, width: w) }
            try ImageCodec.write(Picture.withColorBar(Picture.overlay(full.scalars, on: base)),
                                 to: folder.appendingPathComponent("\(name)_map_\(kind).png"))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(run.record), to: folder.appendingPathComponent("\(name)_record.json"))
    }
}
