import GlimpseCore
import GlimpseModels

/// Every saliency method by command-line name, with its paper, producing one map per image.
public enum SaliencyMethod: String, CaseIterable, Sendable {
    case vanilla, gradxinput = "gradient-x-input", smoothgrad, ig = "integrated-gradients", guided = "guided-backprop",
         deconvnet, guidedGradCAM = "guided-gradcam", cam, gradcam, gradcamPlusPlus = "gradcam++", xgradcam, hirescam,
         layercam, eigencam, scorecam, scorecamOriginal = "scorecam-original",
         ablationcam, abscam, reciprocam, fdcam, shapcam, rise, mask, rts

    /// Every method that needs nothing but the model: all but `rts`, which needs a trained masking model (`Options.masker`).
    public static var modelOnlyCases: [SaliencyMethod] { allCases.filter { $0 != .rts } }

    /// Paper of the method (for `--help`).
    public var paper: String {
        switch self {
        case .vanilla: return "Simonyan et al. 2014, Deep Inside Convolutional Nets"
        case .gradxinput: return "Shrikumar et al. 2016, Not Just a Black Box"
        case .smoothgrad: return "Smilkov et al. 2017, SmoothGrad"
        case .ig: return "Sundararajan et al. 2017, Axiomatic Attribution"
        case .guided: return "Springenberg et al. 2015, Striving for Simplicity"
        case .deconvnet: return "Zeiler & Fergus 2014, Visualizing and Understanding"
        case .guidedGradCAM: return "Selvaraju et al. 2017, Grad-CAM (guided variant)"
        case .cam: return "Zhou et al. 2016, Learning Deep Features (CAM)"
        case .gradcam: return "Selvaraju et al. 2017, Grad-CAM"
        case .gradcamPlusPlus: return "Chattopadhay et al. 2018, Grad-CAM++"
        case .xgradcam: return "Fu et al. 2020, Axiom-based Grad-CAM"
        case .hirescam: return "Draelos & Carin 2020, HiResCAM"
        case .layercam: return "Jiang et al. 2021, LayerCAM"
        case .eigencam: return "Bany Muhammad & Yeasin 2020, Eigen-CAM"
        case .scorecam: return "Wang et al. 2020, Score-CAM (as pytorch-grad-cam)"
        case .scorecamOriginal: return "Wang et al. 2020, Score-CAM (as the authors' code)"
        case .ablationcam: return "Desai & Ramaswamy 2020, Ablation-CAM (as pytorch-grad-cam)"
        case .abscam: return "Zeng et al. 2023, Abs-CAM"
        case .reciprocam: return "Byun & Lee 2022, Recipro-CAM"
        case .fdcam: return "Li et al. 2022, FD-CAM"
        case .shapcam: return "Zheng et al. 2022, Shap-CAM (sampled Shapley values)"
        case .rise: return "Petsiuk et al. 2018, RISE"
        case .mask: return "Fong & Vedaldi 2017, Meaningful Perturbation (MASK)"
        case .rts: return "Dabkowski & Gal 2017, Real Time Image Saliency (trained masker, --masker DIR)"
        }
    }

    /// True for methods that explain a layer.
    public var usesLayer: Bool {
        switch self {
        case .vanilla, .gradxinput, .smoothgrad, .ig, .guided, .deconvnet, .rise, .mask, .rts: return false
        default: return true
        }
    }

    /// Options shared by the methods.
    public struct Options {
        /// Layer of the CAM methods; default: the model's `defaultCAMLayer`.
        public var layer: String?
        public var smoothGradSamples = 25
        /// SmoothGrad's σ as a fraction of the input's range.
        public var smoothGradNoise: Float = 0.15
        public var integratedGradientsSteps = 32
        /// Seed of SmoothGrad's noise, RISE's masks, Shap-CAM's permutations and MASK's jitter.
        public var seed: UInt64 = 0
        /// RISE's number of masks.
        public var riseMasks = 4000
        /// Shap-CAM's number of sampled permutations.
        public var shapPermutations = 64
        /// MASK's optimisation steps.
        public var maskIterations = 300
        /// The trained masking model of `rts`.
        public var masker: (any MaskingSaliency)?
        public init() {}
    }

    /// The map [H, W] at the input resolution for one image x [1, C, H, W] in [0, 1]. CAM maps are normalised to
    /// [0, 1] as pytorch-grad-cam does; gradient maps are the max over channels of |attribution| (unnormalised).
    /// Integrated Gradients' baseline is the input that the model normalises to 0; `scorecam-original` scores the
    /// probability of a `.logit` target's class, as the authors do.
    public func map(model: any Classifier, _ x: Tensor, target: SaliencyTarget, options: Options = Options()) throws -> Tensor {
        let layer = options.layer ?? model.defaultCAMLayer
        let attribution: Tensor
        switch self {
        case .rts:
            guard let masker = options.masker else { throw SaliencyError.badOption("rts needs a trained masking model (--masker DIR)") }
            switch target {
            case let .logit(c), let .probability(c): return try masker.saliencyMask(x, classIndex: c)
            case .channel: throw SaliencyError.badOption("rts explains a class, not a channel")
            }
        case .vanilla: attribution = try GradientMethods.gradient(model, x, target: target)
        case .gradxinput: attribution = try GradientMethods.gradientTimesInput(model, x, target: target)
        case .smoothgrad:
            var rng = SeededRNG(seed: options.seed)
            let grads = try GradientMethods.smoothGrad(model, x, target: target, samples: options.smoothGradSamples,
                                                       noiseLevel: options.smoothGradNoise, rng: &rng)
            return try withoutGradient { try Tensor.stack(grads.map { try GradientMethods.maxAbsOverChannels($0) }).mean(axes: [0]) }
        case .ig:
            let baseline = try model.imageFromNormalized(Tensor(zeros: x.shape))
            attribution = try GradientMethods.integratedGradients(model, x, target: target, baseline: baseline,
                                                                  steps: options.integratedGradientsSteps)
        case .guided: attribution = try GradientMethods.guidedBackprop(model, x, target: target)
        case .deconvnet: attribution = try GradientMethods.deconvnet(model, x, target: target)
        case .guidedGradCAM: attribution = try GradientMethods.guidedGradCAM(model, x, target: target, layer: layer)
        case .scorecamOriginal:
            // The authors score the class probability.
            let scored: SaliencyTarget = if case let .logit(c) = target { .probability(c) } else { target }
            return try CAM.map(ScoreCAM(definition: .original), model: model, x, layer: layer, target: scored).map
        case .cam, .gradcam, .gradcamPlusPlus, .xgradcam, .hirescam, .layercam, .eigencam, .scorecam,
             .ablationcam, .abscam, .reciprocam, .fdcam:
            return try CAM.map(CAM.method(named: rawValue), model: model, x, layer: layer, target: target).map
        case .shapcam:
            let method = ShapCAM(permutations: options.shapPermutations, seed: options.seed)
            return try CAM.map(method, model: model, x, layer: layer, target: target).map
        case .rise:
            return try RISE(masks: options.riseMasks, seed: options.seed).map(model: model, x, target: target)
        case .mask:
            var method = MeaningfulPerturbation()
            method.iterations = options.maskIterations
            method.seed = options.seed
            return try method.map(model: model, x, target: target)
        }
        return try GradientMethods.maxAbsOverChannels(attribution)
    }
}
