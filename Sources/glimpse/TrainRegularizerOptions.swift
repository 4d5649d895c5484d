import ArgumentParser
import GlimpseTraining

/// `glimpse train` options choosing a training defense or interpretability regularizer.
struct TrainRegularizerOptions: ParsableArguments {
    @Option(name: .long, help: "Regularizer: none, adversarial (PGD-L∞ adversarial training), gbp-align (guided-backprop gradient alignment) or cgc (Contrastive Grad-CAM Consistency at relu3).")
    var regularizer: String = "none"

    @Option(name: .long, help: "gbp-align: weight λ of 1 − cos(standard, guided input gradient).")
    var alignWeight: Float = 7.5e-3

    @Option(name: .long, help: "cgc: weight λ of the contrastive Grad-CAM loss.")
    var cgcWeight: Float = 0.5

    @Option(name: .long, help: "cgc: temperature τ.")
    var cgcTemperature: Float = 0.5

    @Option(name: .long, help: "adversarial: L∞ radius ε (pixels in [0, 1]).")
    var advEps: Float = 0.1

    @Option(name: .long, help: "adversarial: PGD step size α.")
    var advAlpha: Float = 0.025

    @Option(name: .long, help: "adversarial: PGD steps.")
    var advSteps: Int = 7

    @Option(name: .long, help: "adversarial: fraction of each batch replaced by PGD examples.")
    var advFraction: Float = 1

    /// The chosen regularizer (nil for none); a one-line validation error for unknown names or bad values.
    func make() throws -> Regularizer? {
        do {
            switch regularizer {
            case "none": return nil
            case "adversarial":
                return .adversarial(try AdversarialTraining(epsilon: advEps, alpha: advAlpha, steps: advSteps, fraction: advFraction))
            case "gbp-align": return .gradientAlignment(try GradientAlignment(lambda: alignWeight))
            case "cgc": return .contrastiveGradCAM(try ContrastiveGradCAM(lambda: cgcWeight, temperature: cgcTemperature))
            default: throw ValidationError("unknown regularizer '\(regularizer)'; known: none, adversarial, gbp-align, cgc")
            }
        } catch let error as TrainingError {
            throw ValidationError(error.description)
        }
    }

    func validate() throws { _ = try make() }
}
