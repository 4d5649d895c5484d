import Foundation
import GlimpseCore
import GlimpseModels
import Testing
import GlimpseTraining

/// Short Fashion-MNIST runs (2,000 training images, 2 epochs, a narrow network) showing each regularizer's effect
/// against the same run without it: gradient alignment (λ = 1; the paper's 7.5e-3 is printed too) raises the cosine between standard and guided-backprop input
/// gradients on test images; adversarial training raises accuracy under PGD-L∞.
@Suite(.serialized) struct FashionMNISTRegularizerTests {
    struct Measured { var accuracy: Double, cosine: Double, pgdAccuracy: Double, camConsistency: Double }

    static func run(_ regularizer: Regularizer?, train: LabeledImages, test: LabeledImages) throws -> Measured {
        var config = try FashionMNISTRecipe.config(epochs: 2, exampleCount: train.count, seed: 0, batchSize: 64)
        config.regularizer = regularizer
        let model = try FashionCNN(stateDict: FashionCNN.initialStateDict(widths: [8, 16, 16], seed: 0))
        try ClassifierTraining.train(model, on: train, config: config, folder: nil)
        let (x, labels) = test.batch(Array(0..<200))
        var rng = SeededRNG(seed: 1)
        let adversarial = try AdversarialTraining.pgd(x, labels: labels, epsilon: 0.1, alpha: 0.025, steps: 10, rng: &rng) {
            try model.forward($0, pass: ForwardPass())
        }
        return Measured(accuracy: try ClassifierTraining.accuracy(of: model, on: test),
                        cosine: try GradientAlignment.meanCosine(model, images: x, labels: labels),
                        pgdAccuracy: Double(ClassifierTraining.correctCount(try model.logits(adversarial), labels)) / 200,
                        camConsistency: try ContrastiveGradCAM().meanConsistency(model, images: x, seed: 2))
    }

    @Test(.enabled(if: Support.fashionMNISTPresent, "needs the Debian package dataset-fashion-mnist"))
    func regularizersHaveTheirMeasurableEffect() throws {
        let train = try FashionMNIST.load(.train).prefix(2000), test = try FashionMNIST.load(.test).prefix(1000)
        var results: [(String, Measured, Double)] = []
        for (name, regularizer) in [("none", nil), ("gbp-align λ=7.5e-3", Regularizer.gradientAlignment(try GradientAlignment())),
                                    ("gbp-align λ=1", .gradientAlignment(try GradientAlignment(lambda: 1))),
                                    ("cgc λ=0.5 τ=0.5", .contrastiveGradCAM(try ContrastiveGradCAM())),
                                    ("adversarial ε=0.1", .adversarial(try AdversarialTraining(epsilon: 0.1, alpha: 0.025, steps: 5)))] {
            let started = Date()
            results.append((name, try Self.run(regularizer, train: train, test: test), Date().timeIntervalSince(started)))
        }
        for (name, m, seconds) in results {
            print(String(format: "regularizer %@: test acc %.1f%%, cos(standard, guided) %.3f, PGD-10 ε=0.1 acc %.1f%%, Grad-CAM view consistency %.3f (%.1f s)",
                         name, 100 * m.accuracy, m.cosine, 100 * m.pgdAccuracy, m.camConsistency, seconds))
        }
        let (base, aligned, consistent, robust) = (results[0].1, results[2].1, results[3].1, results[4].1)
        #expect(aligned.cosine > base.cosine + 0.05)
        #expect(robust.pgdAccuracy > base.pgdAccuracy + 0.1)
        #expect(consistent.camConsistency > base.camConsistency + 0.02)
        #expect(aligned.accuracy > 0.7 && robust.accuracy > 0.6)
    }
}
