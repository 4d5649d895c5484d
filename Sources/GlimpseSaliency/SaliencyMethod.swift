import GlimpseCore
import GlimpseModels

/// Every saliency method by command-line name, with its paper, producing one map per image.
public enum SaliencyMethod: String, CaseIterable, Sendable {
    case vanilla, gradxinput = "gradient-x-input", smoothgrad, ig = "integrated-gradients", guided = "guided-backprop",
         deconvnet, guidedGradCAM = "guided-gradcam", gradcam, gradcamPlusPlus = "gradcam++", xgradcam, hirescam,
         layercam, scorecam

    /// Paper of the method (for `--help`).
    public var paper: String {
        switch self {
        case .vanilla: return "Simonyan et al. 2014, Deep Inside Convolutional Networks"
        case .gradxinput: return "Shrikumar et al. 2016, Not Just a Black Box"
        case .smoothgrad: return "Smilkov et al. 2017, SmoothGrad"
        case .ig: return "Sundararajan et al. 2017, Axiomatic Attribution for Deep Networks"
        case .guided: return "Springenberg et al. 2015, Striving for Simplicity (ReLU6-aware)"
        case .deconvnet: return "Zeiler & Fergus 2014, Visualizing and Understanding CNNs"
        case .guidedGradCAM: return "Selvaraju et al. 2017, Grad-CAM (guided variant)"
        case .gradcam: return "Selvaraju et al. 2017, Grad-CAM"
        case .gradcamPlusPlus: return "Chattopadhay et al. 2018, Grad-CAM++"
        case .xgradcam: return "Fu et al. 2020, Axiom-based Grad-CAM"
        case .hirescam: return "Draelos & Carin 2020, HiResCAM"
        case .layercam: return "Jiang et al. 2021, LayerCAM"
        case .scorecam: return "Wang et al. 2020, Score-CAM (pytorch-grad-cam's definition)"
        }
    }

    /// True for methods that explain a layer (CAM family).
    public var usesLayer: Bool { [.guidedGradCAM, .gradcam, .gradcamPlusPlus, .xgradcam, .hirescam, .layercam, .scorecam].contains(self) }

    /// Options shared by the methods.
    public struct Options {
        public var layer: String?
        public var smoothGradSamples = 25
        public var smoothGradNoise: Float = 0.15
        public var integratedGradientsSteps = 32
        public var seed: UInt64 = 0
        public init() {}
    }

    /// The map [H, W] at the input resolution for one image x [1, C, H, W] in [0, 1]. CAM maps are normalised
    /// to [0, 1] as pytorch-grad-cam does; gradient maps are max over channels of |attribution| (unnormalised).
    public func map(model: any Classifier, _ x: Tensor, target: SaliencyTarget, options: Options = Options()) throws -> Tensor {
        let layer = options.layer ?? model.defaultCAMLayer
        let (h, w) = (x.shape[2], x.shape[3])
        switch self {
        case .vanilla: return try GradientMethods.maxAbsOverChannels(GradientMethods.gradient(model, x, target: target))
        case .gradxinput: return try GradientMethods.maxAbsOverChannels(GradientMethods.gradientTimesInput(model, x, target: target))
        case .smoothgrad:
            var rng = SeededRNG(seed: options.seed)
            let grads = try GradientMethods.smoothGrad(model, x, target: target, samples: options.smoothGradSamples,
                                                       noiseLevel: options.smoothGradNoise, rng: &rng)
            return try withoutGradient { try Tensor.stack(grads.map { try GradientMethods.maxAbsOverChannels($0) }).mean(axes: [0]) }
        case .ig:
            let baseline = try model.imageFromNormalized(Tensor(zeros: x.shape))
            return try GradientMethods.maxAbsOverChannels(
                GradientMethods.integratedGradients(model, x, target: target, baseline: baseline, steps: options.integratedGradientsSteps))
        case .guided: return try GradientMethods.maxAbsOverChannels(GradientMethods.guidedBackprop(model, x, target: target))
        case .deconvnet: return try GradientMethods.maxAbsOverChannels(GradientMethods.deconvnet(model, x, target: target))
        case .guidedGradCAM:
            let cam = try CAM.map(GradCAM(), model: model, x, layer: layer, target: target).map
            let guided = try GradientMethods.guidedBackprop(model, x, target: target)
            return try withoutGradient { try GradientMethods.maxAbsOverChannels(guided * cam.reshaped([1, 1, h, w])) }
        case .scorecam:
            let raw = try ScoreCAM().compute(model: model, x, layer: layer, target: target).raw
            return try CAM.normalizedMap(raw, height: h, width: w)
        case .gradcam, .gradcamPlusPlus, .xgradcam, .hirescam, .layercam:
            return try CAM.map(CAM.method(named: rawValue), model: model, x, layer: layer, target: target).map
        }
    }
}
