import Foundation
import GlimpseAttacks
import GlimpseCore
import GlimpseDefenses
import GlimpseImage
import GlimpseMetrics
import GlimpseModels
import GlimpseSaliency
import GlimpseVis

/// The Swift examples of Docs/GUIDE.md, verbatim between `// guide:` markers (GuideTests checks that every block of
/// the guide appears here, so what the guide shows is what this file compiles and runs).
enum GuideExamples {
    static let photos = ModelZoo.cacheDirectory.appendingPathComponent("photos")

    static func run(output: URL) throws {
        // guide: begin
        let model = try ModelZoo.load("efficientnet-lite0")
        let x = try model.preprocess(ImageCodec.load(contentsOf: photos.appendingPathComponent("chelsea.png")))
        let probabilities = try model.logits(x).softmax(axis: 1).scalars
        let best = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
        print(ImageNetClasses.name(best), probabilities[best])
        // guide: end

        // guide: begin
        let input = x.requiringGradient()
        let result = try model.run(input, capturing: ["_head_act"])
        let score = try result.logits.sliced(axis: 1, 285..<286).sum()
        let grads = try gradient(of: score, wrt: [input, result.layer("_head_act")])
        print(grads[0].shape, grads[1].shape)   // [1, 3, 224, 224] [1, 1280, 7, 7]
        // guide: end
        precondition(grads[1].shape == [1, 1280, 7, 7])

        // guide: begin
        let gradCAM = try SaliencyMethod.gradcam.map(model: model, x, target: .logit(285))
        let smooth = try SaliencyMethod.smoothgrad.map(model: model, x, target: .logit(285))
        let overlay = try Picture.overlay(gradCAM.scalars, on: RGBImage(planar: x.scalars, channels: 3, width: 224, height: 224))
        try ImageCodec.write(overlay, to: output.appendingPathComponent("gradcam.png"))
        print(gradCAM.shape, smooth.shape)   // [224, 224] [224, 224]
        // guide: end

        // guide: begin
        var renderer = Renderer()
        renderer.steps = 32
        let rendering = try renderer.render(model: model, objective: .channel("_blocks.10", 7),
                                            parameterization: FourierImage(batch: 1, height: 128, width: 128), seed: 1)
        print(rendering.history.last!, rendering.images.shape)   // objective after 32 steps, [1, 3, 128, 128]
        // guide: end

        // guide: begin
        let pgd = PGDLinf(eps: 8 / 255, alpha: 2 / 255, steps: 10, goal: .untargeted, seed: 0)
        let attacked = try pgd.attack(model, images: x, labels: [best])
        print(attacked.success, Prediction.argmax(attacked.finalLogits))   // [true] and the new class
        // guide: end

        // guide: begin
        let curves = DeletionInsertion(step: 1792)
        let deletion = try curves.evaluate(.deletion, model: model, x, map: gradCAM, classIndex: 285)
        print(deletion.auc)   // lower is better: the class vanishes fast when its evidence is removed
        // guide: end
        precondition(attacked.success == [true] && deletion.auc >= 0 && deletion.auc <= 1)

        // guide: begin
        let detector = try FeatureSqueezingDetector(model: model, squeezers: [.bitDepth(bits: 5), .median(size: 2)])
        let cleanScores = try detector.scores(x)                 // calibrate on many clean images in practice
        let threshold = try DetectionThreshold(calibratingOn: cleanScores, falsePositiveRate: 0.05)
        let squeezed = try InputTransform.jpeg(quality: 75).apply(x)
        print(threshold.flaggedFraction(try detector.scores(squeezed)))
        // guide: end
    }
}
