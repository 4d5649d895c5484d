import ArgumentParser
import Foundation
import GlimpseFormats
import GlimpseModels
import GlimpseTraining

/// `glimpse train` options choosing a training defense or interpretability regularizer.
struct TrainRegularizerOptions: ParsableArguments {
    @Option(name: .long, help: "Regularizer: none, adversarial (PGD-L∞ adversarial training), gbp-align (guided-backprop gradient alignment) cgc (Contrastive Grad-CAM Consistency at relu3) or model-doctor (Model Doctor's channel constraint, and with --doctor-beta its spatial constraint; needs --doctor-model or --init).")
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

    @Option(name: .long, help: "model-doctor: weight α of the channel constraint.")
    var doctorAlpha: Float = 10

    @Option(name: .long, help: "model-doctor: threshold θ of the min-max normalised class-channel gradients in the diagnosis.")
    var doctorTheta: Float = 0.2

    @Option(name: .long, help: "model-doctor: most confident correctly classified training images per class in the diagnosis.")
    var doctorImages: Int = 50

    @Option(name: .long, help: "model-doctor: layer constrained (default: conv3, the last convolution's output; with --model the class-activation layer).")
    var doctorLayer: String?

    @Option(name: .long, help: "model-doctor: weight β of the spatial constraint (gradient of the true class kept off the background; 0: off, as the paper on small data sets).")
    var doctorBeta: Float = 0

    @Option(name: .long, help: "model-doctor: image intensity (channel mean in [0, 1]) above which a pixel is foreground for the spatial constraint (the paper draws masks by hand; this suits objects on a dark plain background such as Fashion-MNIST).")
    var doctorForeground: Float = 0.1

    @Option(name: .long, help: ArgumentHelp("model-doctor: weights of the trained model to diagnose (a model.safetensors). Default: --init.", valueName: "path"))
    var doctorModel: String?

    /// The chosen regularizer (nil for none); a one-line validation error for unknown names or bad values.
    /// `diagnose(layer, imagesPerClass, θ)` gives Model Doctor's channel mask (called for model-doctor only); CGC works
    /// at `camLayer`, Model Doctor at --doctor-layer, else `doctorLayer`.
    func make(camLayer: String = "relu3", doctorLayer defaultDoctorLayer: String = "conv3",
              diagnose: (String, Int, Float) throws -> [[Float]] = { _, _, _ in [[1]] }) throws -> Regularizer? {
        do {
            switch regularizer {
            case "none": return nil
            case "adversarial":
                return .adversarial(try AdversarialTraining(epsilon: advEps, alpha: advAlpha, steps: advSteps, fraction: advFraction))
            case "gbp-align": return .gradientAlignment(try GradientAlignment(lambda: alignWeight))
            case "cgc": return .contrastiveGradCAM(try ContrastiveGradCAM(lambda: cgcWeight, temperature: cgcTemperature, layer: camLayer))
            case "model-doctor":
                guard doctorImages >= 1, doctorTheta.isFinite, (0..<1).contains(doctorTheta) else {
                    throw ValidationError("--doctor-images must be at least 1 and --doctor-theta in [0, 1)")
                }
                let layer = doctorLayer ?? defaultDoctorLayer
                return .modelDoctor(try ModelDoctor(alpha: doctorAlpha, layer: layer, channelMask: diagnose(layer, doctorImages, doctorTheta),
                                                    beta: doctorBeta, foregroundThreshold: doctorForeground))
            default: throw ValidationError("unknown regularizer '\(regularizer)'; known: none, adversarial, gbp-align, cgc, model-doctor")
            }
        } catch let error as TrainingError {
            throw ValidationError(error.description)
        }
    }

    func validate() throws { _ = try make() }

    /// Model Doctor's diagnosis (the `diagnose` argument of `make`) of the Fashion-MNIST CNN saved at `weights`, on `data`.
    static func diagnosis(ofFashionCNN weights: String, on data: LabeledImages) -> (String, Int, Float) throws -> [[Float]] {
        { layer, images, theta in
            let diagnosed = try FashionCNN(stateDict: Safetensors.load(contentsOf: URL(fileURLWithPath: weights)))
            return try ModelDoctor.diagnose(diagnosed, on: data, layer: layer, imagesPerClass: images, threshold: theta)
        }
    }
}
