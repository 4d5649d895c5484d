/// Size and placement of a perturbation δ = x* − x of one image, planes [C][H][W] flattened.
public enum PerturbationMetrics {
    /// max |δ|.
    public static func linf(_ adversarial: [Float], _ clean: [Float]) -> Double {
        zip(adversarial, clean).reduce(0.0) { max($0, abs(Double($1.0) - Double($1.1))) }
    }

    /// ‖δ‖₂ (as torchattacks reports it).
    public static func l2(_ adversarial: [Float], _ clean: [Float]) -> Double {
        zip(adversarial, clean).reduce(0.0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) }.squareRoot()
    }

    /// The share of the perturbation's L1 mass Σ|δ| that lies on edge pixels (edge map [H·W] above `threshold`);
    /// 0 for a zero perturbation. It tests AdvEdge's claim directly.
    public static func edgeFraction(_ adversarial: [Float], _ clean: [Float], edges: [Float], threshold: Float = 0.1) -> Double {
        let pixels = edges.count
        guard pixels > 0 else { return 0 }
        var onEdges = 0.0, total = 0.0
        for (i, (a, c)) in zip(adversarial, clean).enumerated() {
            let d = abs(Double(a) - Double(c))
            total += d
            if edges[i % pixels] > threshold { onEdges += d }
        }
        return total > 0 ? onEdges / total : 0
    }

    /// The image stored as 8-bit: each value rounded to the nearest of 0, 1/255, …, 1 (ADV² and torchattacks
    /// truncate instead; rounding is what a PNG writer does).
    public static func quantized(_ x: [Float]) -> [Float] {
        x.map { (min(max($0, 0), 1) * 255).rounded() / 255 }
    }
}
