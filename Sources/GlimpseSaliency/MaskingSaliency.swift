import GlimpseCore

/// A model that produces a saliency mask in one forward pass (the real-time saliency masking model of
/// Dabkowski & Gal 2017, trained by GlimpseTraining). Used by `SaliencyMethod.rts`.
public protocol MaskingSaliency: AnyObject {
    /// The mask [H, W] in [0, 1] of one image x [1, C, H, W] in [0, 1] for class `classIndex`; differentiable
    /// with respect to x when x is tracked.
    func saliencyMask(_ x: Tensor, classIndex: Int) throws -> Tensor
}
