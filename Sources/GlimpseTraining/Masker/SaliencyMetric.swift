import Foundation
import GlimpseCore
import GlimpseModels

/// The saliency metric of Dabkowski & Gal: s = log(max(a, 0.05)) − log(p), with a the area fraction of the tightest
/// box around the map's salient pixels and p the classifier's probability of the class on that box, cropped and
/// resized (bilinear) to the input size. Lower is better.
public enum SaliencyMetric {
    /// The box (x0, y0, x1, y1), inclusive, around pixels of `map` [H, W] ≥ threshold·max(map); the whole image when none.
    public static func box(_ map: [Float], height h: Int, width w: Int, threshold: Float) -> (Int, Int, Int, Int) {
        let peak = map.max() ?? 0
        var x0 = w, y0 = h, x1 = -1, y1 = -1
        if peak > 0 {
            for y in 0..<h { for x in 0..<w where map[y * w + x] >= threshold * peak {
                x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y)
            } }
        }
        return x1 < 0 ? (0, 0, w - 1, h - 1) : (x0, y0, x1, y1)
    }

    /// The metric for one image x [1, C, H, W], its map [H, W] and its class.
    public static func score(classifier: any Classifier, x: Tensor, map: [Float], classIndex: Int, threshold: Float) throws -> (score: Double, area: Double, probability: Double) {
        let (h, w) = (x.shape[2], x.shape[3])
        let (x0, y0, x1, y1) = box(map, height: h, width: w, threshold: threshold)
        let area = Double((x1 - x0 + 1) * (y1 - y0 + 1)) / Double(h * w)
        let crop = try x.sliced(axis: 2, y0..<(y1 + 1)).sliced(axis: 3, x0..<(x1 + 1)).resizedBilinear(height: h, width: w)
        let p = Double(try classifier.logits(crop).softmax(axis: 1).scalars[classIndex])
        return (log(max(area, 0.05)) - log(max(p, 1e-12)), area, p)
    }
}
