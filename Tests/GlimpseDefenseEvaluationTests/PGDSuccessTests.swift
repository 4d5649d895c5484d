import GlimpseAttacks
import GlimpseCore
import Testing

/// Issue 7's "success rates on a trained Fashion-MNIST CNN are high for PGD at standard ε".
@Suite struct PGDSuccessTests {
    @Test(.enabled(if: Support.trainedModelPresent, Comment(rawValue: Support.skipMessage)))
    func pgdFoolsTheTrainedCNNAtStandardEps() throws {
        let model = try Support.model()
        let (images, labels) = try Support.testImages(start: 0, count: 200)
        let clean = Prediction.argmax(try model.logits(images))
        let correct = labels.indices.filter { clean[$0] == labels[$0] }
        #expect(correct.count >= 170, "the checkpoint should classify most test images correctly")
        let x = try Tensor.concatenate(correct.map { try images.sliced(axis: 0, $0..<($0 + 1)) }, axis: 0)
        let y = correct.map { labels[$0] }

        let strong = try PGDLinf(eps: 0.1, alpha: 0.01, steps: 20, randomStart: true, seed: 1).attack(model, images: x, labels: y)
        let rate = Double(strong.success.filter { $0 }.count) / Double(y.count)
        print("fmnist-cnn PGD-20 eps 0.1: success \(String(format: "%.1f", 100 * rate))% of \(y.count) correctly classified images")
        #expect(rate >= 0.9)

        // ε-ball and [0, 1] respected.
        let d = zip(strong.adversarial.scalars, x.scalars)
        #expect(d.allSatisfy { abs($0 - $1) <= 0.1 + 1e-6 && $0 >= 0 && $0 <= 1 })

        // A much smaller budget must do clearly worse: success comes from the attack, not from a broken model.
        let tiny = try PGDLinf(eps: 0.005, alpha: 0.001, steps: 20, randomStart: true, seed: 1).attack(model, images: x, labels: y)
        let tinyRate = Double(tiny.success.filter { $0 }.count) / Double(y.count)
        #expect(tinyRate < rate - 0.3)
    }
}
