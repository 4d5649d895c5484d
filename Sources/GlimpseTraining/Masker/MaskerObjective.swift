import Foundation
import GlimpseCore
import GlimpseModels

/// The masking model's objective, as the reference code (`SaliencyLoss`, `saliency_train.py`):
/// total = destroyer + 8·area + 0.005·smooth + 0.3·preserver, with
/// area = mean((m + 0.0005)^0.3), smooth = [Σ|Δx m|² + Σ|Δy m|² + 0.3·Σ border²]/(2B) on the low-resolution mask,
/// preserver/destroyer = Carlini-Wagner hinges on the classifier's logits of Φ(x, m) and Φ(x, 1 − m) (margins 1 and 5;
/// reversed for fake selectors), Φ(x, m) = m·(x + noise) + (1 − m)·alt, alt = a blurred copy or noise plus a random colour.
/// Image-domain constants of the reference (images in [−1, 1]) are halved here, since Glimpse images are in [0, 1].
public struct MaskerObjective: Codable, Sendable, Equatable {
    public var areaWeight: Float = 8
    public var areaPower: Float = 0.3
    public var areaEpsilon: Float = 0.0005
    public var smoothWeight: Float = 0.005
    public var borderPenalty: Float = 0.3
    public var preserverWeight: Float = 0.3
    public var destroyerWeight: Float = 1
    public var destroyerMargin: Float = 5
    /// Probability of a fake selector (phase 2 of the reference: 0.3; phase 1: 0.5).
    public var fakeProbability: Float = 0.3
    /// σ of the noise added to the kept image (0.03 in [−1, 1]).
    public var inputNoise: Float = 0.015
    /// Blur σ as a fraction of the image side (σ 11 at 224) and the probability of the blurred alternative.
    public var blurSigmaFraction: Float = 11.0 / 224.0
    public var blurProbability: Float = 0.5
    /// Noise alternative: grey 0.5 + N(0, σ²) + a colour U(−r, r) per image and channel (0.11 and 0.33 in [−1, 1]).
    public var altNoise: Float = 0.055
    public var altColourRange: Float = 0.165

    public init() {}

    /// Per-image alternative images (detached): blurred with probability `blurProbability`, else noise + colour.
    func alternatives(_ x: Tensor, rng: inout SeededRNG) throws -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let sigma = max(0.5, blurSigmaFraction * Float(max(h, w)))
        let blurred = try x.detached().gaussianBlurred(sigma: sigma, truncate: min(2.5, Float(min(h, w) - 1) / sigma - 0.01))
        let plane = h * w
        return blurred.withUnsafeBufferPointer { blur in
            Tensor(shape: x.shape) { out, _ in
                for i in 0..<n {
                    let useBlur = rng.nextUniform() < blurProbability
                    for ch in 0..<c {
                        let base = (i * c + ch) * plane
                        if useBlur {
                            for k in 0..<plane { out[base + k] = blur[base + k] }
                        } else {
                            let colour = 0.5 + altColourRange * (2 * rng.nextUniform() - 1)
                            for k in 0..<plane { out[base + k] = colour + altNoise * rng.nextNormal() }
                        }
                    }
                }
            }
        }
    }

    /// Selectors: the true class, or with probability `fakeProbability` another class; returns (selectors, isReal).
    func selectors(labels: [Int], classCount: Int, rng: inout SeededRNG) -> ([Int], [Bool]) {
        var sel: [Int] = [], real: [Bool] = []
        for y in labels {
            if rng.nextUniform() < fakeProbability {
                sel.append((y + 1 + Int(rng.next() % UInt64(classCount - 1))) % classCount); real.append(false)
            } else {
                sel.append(y); real.append(true)
            }
        }
        return (sel, real)
    }

    struct Terms {
        var total: Tensor
        var area: Float, smooth: Float, preserver: Float, destroyer: Float
        /// Real-selector images whose preserved image is still classified as their class.
        var preservedCorrect: Int
    }

    /// The objective for low-resolution masks `low` [N, 1, s, s] of images x with true labels and selector kinds.
    func loss(classifier: any Classifier, x: Tensor, low: Tensor, labels: [Int], isReal: [Bool], rng: inout SeededRNG) throws -> Terms {
        let n = x.shape[0]
        let mask = try low.resizedBilinear(height: x.shape[2], width: x.shape[3])
        let alt = try alternatives(x, rng: &rng)
        let noisy = try x.detached() + Tensor.normal(x.shape, std: inputNoise, rng: &rng)
        let preserved = try mask * noisy + (1 - mask) * alt
        let destroyed = try (1 - mask) * noisy + mask * alt
        let zp = try classifier.forward(preserved, pass: ForwardPass())
        let zd = try classifier.forward(destroyed, pass: ForwardPass())
        // Hinge margins: real selectors keep y on the preserved image and lose it (margin 5) on the destroyed one;
        // fake selectors must do neither.
        let sign = isReal.map { $0 ? Float(1) : -1 }
        let preserver = try hinge(zp, labels, sign: sign.map { -$0 }, margin: [Float](repeating: 1, count: n))
        let destroyer = try hinge(zd, labels, sign: sign, margin: isReal.map { $0 ? destroyerMargin : 1 })
        let area = try (low + areaEpsilon).pow(areaPower).mean()
        let s = low.shape[3], t = low.shape[2]
        let dx = try low.sliced(axis: 3, 1..<s) - low.sliced(axis: 3, 0..<(s - 1))
        let dy = try low.sliced(axis: 2, 1..<t) - low.sliced(axis: 2, 0..<(t - 1))
        let border = try low.sliced(axis: 2, 0..<1).squared().sum() + low.sliced(axis: 2, (t - 1)..<t).squared().sum()
            + low.sliced(axis: 3, 0..<1).squared().sum() + low.sliced(axis: 3, (s - 1)..<s).squared().sum()
        let smooth = try (dx.squared().sum() + dy.squared().sum() + border * borderPenalty) / Float(2 * n)
        let total = try destroyer * destroyerWeight + area * areaWeight + smooth * smoothWeight + preserver * preserverWeight
        let predicted = argmax(zp)
        let correct = (0..<n).filter { isReal[$0] && predicted[$0] == labels[$0] }.count
        return Terms(total: total, area: area.scalar, smooth: smooth.scalar, preserver: preserver.scalar,
                     destroyer: destroyer.scalar, preservedCorrect: correct)
    }

    /// mean_i relu(sign_i·(z_y − max_{j≠y} z_j) + margin_i).
    private func hinge(_ z: Tensor, _ labels: [Int], sign: [Float], margin: [Float]) throws -> Tensor {
        let (n, k) = (z.shape[0], z.shape[1])
        let onehot = Tensor(shape: [n, k]) { p, count in
            p.initialize(repeating: 0, count: count)
            for (i, y) in labels.enumerated() { p[i * k + y] = 1 }
        }
        let zy = try (z * onehot).sum(axes: [1])
        let others = try (z - onehot * 1e4).max(axes: [1])
        let diff = try (zy - others) * Tensor(sign, shape: [n]) + Tensor(margin, shape: [n])
        return try diff.relu().mean()
    }

    private func argmax(_ z: Tensor) -> [Int] {
        let k = z.shape[1], v = z.scalars
        return (0..<z.shape[0]).map { i in (0..<k).max { v[i * k + $0] < v[i * k + $1] }! }
    }
}
