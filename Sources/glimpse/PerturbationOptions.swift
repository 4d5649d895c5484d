import ArgumentParser
import GlimpseSaliency

/// The sample counts of the perturbation methods, shared by `saliency` and `evaluate`.
struct PerturbationOptions: ParsableArguments {
    @Option(name: .long, help: "RISE's number of masks.")
    var riseMasks: Int = 4000

    @Option(name: .long, help: "MASK's optimisation steps.")
    var maskIterations: Int = 300

    @Option(name: .long, help: "Shap-CAM's sampled permutations.")
    var shapPermutations: Int = 64

    func validate() throws {
        guard riseMasks >= 1, maskIterations >= 1, shapPermutations >= 1 else {
            throw ValidationError("--rise-masks, --mask-iterations and --shap-permutations must be at least 1")
        }
    }

    /// Copies the counts into the methods' options.
    func apply(to options: inout SaliencyMethod.Options) {
        options.riseMasks = riseMasks
        options.maskIterations = maskIterations
        options.shapPermutations = shapPermutations
    }
}
