/// Saliency: gradient and CAM families, perturbation masks and faithfulness metrics.
public enum SaliencyMethods {}
