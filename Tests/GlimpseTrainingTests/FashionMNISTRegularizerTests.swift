import Foundation
import GlimpseCore
import GlimpseModels
import Testing
import GlimpseTraining

/// Short Fashion-MNIST runs (2,000 training images, 2 epochs, a narrow network) showing each regularizer's effect
/// against the same run without it: gradient alignment (λ = 1; the paper's 7.5e-3 is printed too) raises the cosine between standard and guided-backprop input
/// gradients on test images; adversarial training raises accuracy under PGD-L∞; Model Doctor (α = 10, its mask
/// diagnosed on the unregularized run, θ = 0.2, 50 images per class) lowers its channel constraint on test images, and
/// with the spatial constraint (β = 1, foreground = pixels above 0.1) the share of the class gradient on the background.
@Suite(.serialized) struct FashionMNISTRegularizerTests {
    struct Measured { var accuracy: Double, cosine: Double, pgdAccuracy: Double, camConsistency: Double, offMask: Double, constraint: Double, background: Double }

    static func train(_ regularizer: Regularizer?, on train: LabeledImages) throws -> FashionCNN {
        var config = try FashionMNISTRecipe.config(epochs: 2, exampleCount: train.count, seed: 0, batchSize: 64)
        config.regularizer = regularizer
        let model = try FashionCNN(stateDict: FashionCNN.initialStateDict(widths: [8, 16, 16], seed: 0))
        try ClassifierTraining.train(model, on: train, config: config, folder: nil)
        return model
    }

    static func measure(_ model: FashionCNN, test: LabeledImages, doctor: ModelDoctor) throws -> Measured {
        let (x, labels) = test.batch(Array(0..<200))
        var rng = SeededRNG(seed: 1)
        let adversarial = try AdversarialTraining.pgd(x, labels: labels, epsilon: 0.1, alpha: 0.025, steps: 10, rng: &rng) {
            try model.forward($0, pass: ForwardPass())
        }
        return Measured(accuracy: try ClassifierTraining.accuracy(of: model, on: test),
                        cosine: try GradientAlignment.meanCosine(model, images: x, labels: labels),
                        pgdAccuracy: Double(ClassifierTraining.correctCount(try model.logits(adversarial), labels)) / 200,
                        camConsistency: try ContrastiveGradCAM().meanConsistency(model, images: x, seed: 2),
                        offMask: try doctor.offMaskFraction(model, images: x, labels: labels),
                        constraint: try doctor.meanConstraint(model, images: x, labels: labels),
                        background: try doctor.backgroundFraction(model, images: x, labels: labels))
    }

    @Test(.enabled(if: Support.fashionMNISTPresent, "needs the Debian package dataset-fashion-mnist"))
    func regularizersHaveTheirMeasurableEffect() throws {
        let train = try FashionMNIST.load(.train).prefix(2000), test = try FashionMNIST.load(.test).prefix(1000)
        var started = Date()
        let baseline = try Self.train(nil, on: train)
        var seconds = [Date().timeIntervalSince(started)]
        let doctor = try ModelDoctor(channelMask: ModelDoctor.diagnose(baseline, on: train, layer: "conv3"))
        var results: [(String, Measured)] = [("none", try Self.measure(baseline, test: test, doctor: doctor))]
        for (name, regularizer) in [("gbp-align λ=7.5e-3", Regularizer.gradientAlignment(try GradientAlignment())),
                                    ("gbp-align λ=1", .gradientAlignment(try GradientAlignment(lambda: 1))),
                                    ("cgc λ=0.5 τ=0.5", .contrastiveGradCAM(try ContrastiveGradCAM())),
                                    ("adversarial ε=0.1", .adversarial(try AdversarialTraining(epsilon: 0.1, alpha: 0.025, steps: 5))),
                                    ("model-doctor α=10 θ=0.2", .modelDoctor(doctor)),
                                    ("model-doctor α=10 θ=0.2 β=1", .modelDoctor(try ModelDoctor(channelMask: doctor.channelMask, beta: 1)))] {
            started = Date()
            let model = try Self.train(regularizer, on: train)
            seconds.append(Date().timeIntervalSince(started))
            results.append((name, try Self.measure(model, test: test, doctor: doctor)))
        }
        print("| regularizer | test acc | cos(standard, guided) | PGD-10 ε=0.1 acc | Grad-CAM view consistency | off-mask gradient share | channel constraint | background gradient share | train s |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for ((name, m), s) in zip(results, seconds) {
            print(String(format: "| %@ | %.1f%% | %.3f | %.1f%% | %.3f | %.3f | %.3f | %.3f | %.0f |",
                         name, 100 * m.accuracy, m.cosine, 100 * m.pgdAccuracy, m.camConsistency, m.offMask, m.constraint, m.background, s))
        }
        let (base, aligned, consistent, robust, doctored) = (results[0].1, results[2].1, results[3].1, results[4].1, results[5].1)
        let spatial = results[6].1
        #expect(spatial.background < doctored.background - 0.02 && spatial.accuracy > 0.7)
        #expect(doctored.constraint < 0.5 * base.constraint)
        #expect(doctored.accuracy > 0.7)
        #expect(aligned.cosine > base.cosine + 0.05)
        #expect(robust.pgdAccuracy > base.pgdAccuracy + 0.1)
        #expect(consistent.camConsistency > base.camConsistency + 0.02)
        #expect(aligned.accuracy > 0.7 && robust.accuracy > 0.6)
    }
}
