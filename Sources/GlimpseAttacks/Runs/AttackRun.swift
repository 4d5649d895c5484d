import Foundation
import GlimpseCore
import GlimpseModels

/// One attack on one image with its maps and measured record: the unit of `glimpse attack` and of experiments.
public struct AttackRun {
    public let adversarial: Tensor
    /// Exact maps on the interpreter's grid: the clean image for its true class, the adversarial image for the
    /// target class (untargeted: its predicted class), each [1, h, w].
    public let cleanMap: Tensor
    public let adversarialMap: Tensor
    public let record: AttackRecord

    /// The seed of one image: the settings' seed mixed with the image name (FNV-1a), so that every method draws the
    /// same target for an image and different images draw independently.
    public static func imageSeed(_ seed: UInt64, image: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
        for b in image.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// Attacks image `x` [1, C, H, W] (named `image` in the record) of true class `label`.
    public static func run(_ settings: AttackSettings, model: any Classifier, image: String, x: Tensor, label: Int,
                           progress: ((Int, Int) -> Void)? = nil) throws -> AttackRun {
        guard x.rank == 4, x.shape[0] == 1 else { throw AttackError.badInput("one image [1, C, H, W] at a time, found \(x.shape)") }
        let interpreter = try settings.interpreter(for: model)
        let seed = imageSeed(settings.seed, image: image)
        let start = Date()
        let adversarial: Tensor, target: Int?
        let cleanMap: Tensor, adversarialMap: Tensor
        if let method = settings.method.interpreterMethod {
            let r = try settings.interpreterAttack(method, seed: seed, interpreter: interpreter).attack(model, images: x, labels: [label], progress: progress)
            (adversarial, target, cleanMap, adversarialMap) = (r.result.adversarial, r.result.targets?[0], r.cleanMaps, r.adversarialMaps)
        } else {
            if settings.method == .clean {
                var rng = SeededRNG(seed: seed)
                target = try settings.goal.goal.targets(labels: [label], cleanLogits: model.logits(x), rng: &rng)?[0]
                adversarial = x
            } else {
                let r = try settings.classifierAttack(seed: seed).attack(model, images: x, labels: [label])
                (adversarial, target) = (r.adversarial, r.targets?[0])
            }
            cleanMap = try interpreter.map(model, x, classes: [label])
            let shown = try target ?? Prediction.argmax(model.logits(adversarial))[0]
            adversarialMap = try interpreter.map(model, adversarial, classes: [shown])
        }
        let seconds = Date().timeIntervalSince(start)
        let record = try AttackRecord.measure(
            image: image, model: model, method: settings.recordMethod, interpreter: settings.interpreter,
            preset: settings.preset.rawValue, clean: x, adversarial: adversarial, label: label, target: target,
            cleanMap: cleanMap, adversarialMap: adversarialMap, seconds: seconds)
        return AttackRun(adversarial: adversarial, cleanMap: cleanMap, adversarialMap: adversarialMap, record: record)
    }
}
