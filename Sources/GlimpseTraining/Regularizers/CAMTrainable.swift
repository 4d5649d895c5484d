import Foundation
import GlimpseCore
import GlimpseModels

/// A trainable classifier whose training forward pass can tap its layers (needed by Grad-CAM regularizers).
public protocol CAMTrainableClassifier: TrainableClassifier {
    /// `trainingLogits` with the layer outputs tapped into `pass`.
    func trainingLogits(_ x: Tensor, parameters: [String: Tensor], pass: ForwardPass) throws -> (logits: Tensor, statistics: [String: BatchStatistics])
}

extension FashionCNN: CAMTrainableClassifier {}

/// A random resized crop with an optional horizontal flip, applied alike to an image and to a map of its size
/// (differentiable: a gather and a bilinear resize).
public struct ViewTransform: Sendable, Equatable {
    /// Crop box (pixels) and whether the crop is mirrored.
    public var top: Int, left: Int, height: Int, width: Int, flip: Bool

    public init(top: Int, left: Int, height: Int, width: Int, flip: Bool) {
        self.top = top; self.left = left; self.height = height; self.width = width; self.flip = flip
    }

    /// Area fraction in `scale`, aspect ratio in [3/4, 4/3] (log-uniform), as torchvision's RandomResizedCrop;
    /// falls back to the whole image when 10 draws do not fit; flip with probability ½.
    public static func random(height h: Int, width w: Int, scale: ClosedRange<Float>, rng: inout SeededRNG) -> ViewTransform {
        for _ in 0..<10 {
            let area = Float(h * w) * (scale.lowerBound + (scale.upperBound - scale.lowerBound) * rng.nextUniform())
            let ratio = Foundation.exp(Foundation.log(Float(3) / 4) + (Foundation.log(Float(4) / 3) - Foundation.log(Float(3) / 4)) * rng.nextUniform())
            let cw = Int((area * ratio).squareRoot().rounded()), ch = Int((area / ratio).squareRoot().rounded())
            if cw >= 1, ch >= 1, cw <= w, ch <= h {
                let top = Int(rng.next() % UInt64(h - ch + 1)), left = Int(rng.next() % UInt64(w - cw + 1))
                return ViewTransform(top: top, left: left, height: ch, width: cw, flip: rng.nextUniform() < 0.5)
            }
        }
        return ViewTransform(top: 0, left: 0, height: h, width: w, flip: rng.nextUniform() < 0.5)
    }

    /// The view of `t` [1, C, H, W]: crop, flip, bilinear resize back to H×W.
    public func apply(_ t: Tensor) throws -> Tensor {
        let (c, h, w) = (t.shape[1], t.shape[2], t.shape[3])
        var indices: [Int32] = []
        indices.reserveCapacity(c * height * width)
        for ch in 0..<c {
            for y in 0..<height {
                for x in 0..<width {
                    let sx = left + (flip ? width - 1 - x : x)
                    indices.append(Int32((ch * h + top + y) * w + sx))
                }
            }
        }
        return try t.gathered(indices, shape: [1, c, height, width]).resizedBilinear(height: h, width: w)
    }
}
