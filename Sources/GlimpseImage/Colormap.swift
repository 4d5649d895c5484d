/// Colour maps for heatmaps.
public enum Colormap: String, CaseIterable, Sendable {
    case jet, viridis, inferno, gray

    /// Anchor colours at evenly spaced positions, linearly interpolated.
    private var anchors: [(Float, Float, Float)] {
        switch self {
        case .jet:
            // matplotlib 'jet': dark blue → blue → cyan → yellow → red → dark red.
            return [(0, 0, 0.5), (0, 0, 1), (0, 0.5, 1), (0, 1, 1), (0.5, 1, 0.5), (1, 1, 0), (1, 0.5, 0), (1, 0, 0), (0.5, 0, 0)]
        case .viridis:
            return [(0.267, 0.005, 0.329), (0.283, 0.141, 0.458), (0.254, 0.265, 0.530), (0.207, 0.372, 0.553),
                    (0.164, 0.471, 0.558), (0.128, 0.567, 0.551), (0.135, 0.659, 0.518), (0.267, 0.749, 0.441),
                    (0.478, 0.821, 0.318), (0.741, 0.873, 0.150), (0.993, 0.906, 0.144)]
        case .inferno:
            return [(0.001, 0.000, 0.014), (0.087, 0.045, 0.225), (0.258, 0.039, 0.406), (0.416, 0.090, 0.433),
                    (0.578, 0.148, 0.404), (0.735, 0.216, 0.330), (0.865, 0.317, 0.226), (0.954, 0.469, 0.099),
                    (0.988, 0.645, 0.040), (0.964, 0.843, 0.273), (0.988, 0.998, 0.645)]
        case .gray:
            return [(0, 0, 0), (1, 1, 1)]
        }
    }

    /// The colour of `t` (clamped to [0, 1]; NaN is black).
    public func color(_ t: Float) -> (UInt8, UInt8, UInt8) {
        guard !t.isNaN else { return (0, 0, 0) }
        let a = anchors
        let x = min(max(t, 0), 1) * Float(a.count - 1)
        let i = min(Int(x), a.count - 2)
        let f = x - Float(i)
        func mix(_ u: Float, _ v: Float) -> UInt8 { UInt8((min(max(u + (v - u) * f, 0), 1) * 255).rounded()) }
        return (mix(a[i].0, a[i + 1].0), mix(a[i].1, a[i + 1].1), mix(a[i].2, a[i + 1].2))
    }
}
