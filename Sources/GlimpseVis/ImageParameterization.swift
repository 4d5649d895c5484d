import GlimpseCore

/// How images are produced from optimised parameters. `image` must be differentiable in the parameters.
public protocol ImageParameterization {
    /// Number of images optimised together.
    var batch: Int { get }
    /// Image height in pixels.
    var height: Int { get }
    /// Image width in pixels.
    var width: Int { get }
    /// Fresh parameters drawn from `rng`.
    func initialParameters(rng: inout SeededRNG) -> Tensor
    /// Images [B, 3, H, W] in [0, 1].
    func image(_ parameters: Tensor) throws -> Tensor
}
