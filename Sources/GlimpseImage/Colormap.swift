/// Colour maps for heatmaps, evaluated continuously (no 256-entry lookup table) and rounded to bytes.
public enum Colormap: String, CaseIterable, Sendable {
    /// matplotlib's 'jet' (its piecewise-linear segment data): dark blue, blue, cyan, yellow, red, dark red.
    case jet
    /// matplotlib's 'viridis', within 2/255 (33 anchors sampled from its 256-entry table, linear in between).
    case viridis
    /// matplotlib's 'inferno', within 2/255 (33 anchors sampled from its 256-entry table, linear in between).
    case inferno
    /// Black to white.
    case gray

    /// The colour at `t`, clamped to [0, 1]; NaN is black.
    public func color(_ t: Float) -> (UInt8, UInt8, UInt8) {
        guard !t.isNaN else { return (0, 0, 0) }
        let x = min(max(t, 0), 1)
        switch self {
        case .jet:
            return (Self.byte(Self.segments(Self.jetRed, x)), Self.byte(Self.segments(Self.jetGreen, x)),
                    Self.byte(Self.segments(Self.jetBlue, x)))
        case .viridis: return Self.interpolate(Self.viridisAnchors, x)
        case .inferno: return Self.interpolate(Self.infernoAnchors, x)
        case .gray:
            let v = Self.byte(x)
            return (v, v, v)
        }
    }

    private static func byte(_ v: Float) -> UInt8 { UInt8((min(max(v, 0), 1) * 255).rounded()) }

    /// Piecewise-linear (position, value) breakpoints, positions increasing from 0 to 1.
    private static func segments(_ points: [(Float, Float)], _ x: Float) -> Float {
        var i = 1
        while i < points.count - 1 && points[i].0 < x { i += 1 }
        let (x0, y0) = points[i - 1], (x1, y1) = points[i]
        return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    }

    /// Linear interpolation between evenly spaced anchors.
    private static func interpolate(_ anchors: [(Float, Float, Float)], _ x: Float) -> (UInt8, UInt8, UInt8) {
        let position = x * Float(anchors.count - 1)
        let i = min(Int(position), anchors.count - 2)
        let f = position - Float(i)
        let a = anchors[i], b = anchors[i + 1]
        return (byte(a.0 + (b.0 - a.0) * f), byte(a.1 + (b.1 - a.1) * f), byte(a.2 + (b.2 - a.2) * f))
    }

    private static let jetRed: [(Float, Float)] = [(0, 0), (0.35, 0), (0.66, 1), (0.89, 1), (1, 0.5)]
    private static let jetGreen: [(Float, Float)] = [(0, 0), (0.125, 0), (0.375, 1), (0.64, 1), (0.91, 0), (1, 0)]
    private static let jetBlue: [(Float, Float)] = [(0, 0.5), (0.11, 1), (0.34, 1), (0.65, 0), (1, 0)]

    private static let viridisAnchors: [(Float, Float, Float)] = [
        (0.2670, 0.0049, 0.3294), (0.2770, 0.0502, 0.3755), (0.2823, 0.0946, 0.4170), (0.2829, 0.1354, 0.4530),
        (0.2789, 0.1749, 0.4830), (0.2708, 0.2133, 0.5066), (0.2593, 0.2507, 0.5244), (0.2454, 0.2867, 0.5370),
        (0.2302, 0.3213, 0.5455), (0.2148, 0.3545, 0.5510), (0.2000, 0.3864, 0.5545), (0.1861, 0.4173, 0.5567),
        (0.1733, 0.4474, 0.5579), (0.1613, 0.4770, 0.5581), (0.1497, 0.5064, 0.5573), (0.1384, 0.5358, 0.5551),
        (0.1281, 0.5651, 0.5509), (0.1209, 0.5945, 0.5442), (0.1203, 0.6238, 0.5343), (0.1310, 0.6529, 0.5208),
        (0.1554, 0.6815, 0.5032), (0.1930, 0.7096, 0.4812), (0.2415, 0.7366, 0.4545), (0.2986, 0.7624, 0.4230),
        (0.3629, 0.7867, 0.3866), (0.4330, 0.8091, 0.3453), (0.5081, 0.8292, 0.2992), (0.5873, 0.8470, 0.2489),
        (0.6694, 0.8622, 0.1954), (0.7529, 0.8751, 0.1427), (0.8359, 0.8861, 0.1025), (0.9166, 0.8961, 0.1008),
        (0.9932, 0.9062, 0.1439),
    ]

    private static let infernoAnchors: [(Float, Float, Float)] = [
        (0.0015, 0.0005, 0.0139), (0.0139, 0.0112, 0.0716), (0.0420, 0.0280, 0.1406), (0.0815, 0.0432, 0.2144),
        (0.1285, 0.0473, 0.2896), (0.1823, 0.0405, 0.3539), (0.2370, 0.0366, 0.3956), (0.2894, 0.0453, 0.4182),
        (0.3399, 0.0618, 0.4292), (0.3897, 0.0803, 0.4331), (0.4393, 0.0986, 0.4317), (0.4889, 0.1164, 0.4259),
        (0.5386, 0.1339, 0.4157), (0.5882, 0.1516, 0.4011), (0.6375, 0.1704, 0.3822), (0.6858, 0.1910, 0.3591),
        (0.7328, 0.2143, 0.3321), (0.7776, 0.2414, 0.3016), (0.8195, 0.2728, 0.2685), (0.8578, 0.3090, 0.2333),
        (0.8918, 0.3500, 0.1965), (0.9210, 0.3954, 0.1584), (0.9451, 0.4448, 0.1188), (0.9640, 0.4974, 0.0776),
        (0.9774, 0.5526, 0.0380), (0.9855, 0.6100, 0.0245), (0.9879, 0.6692, 0.0596), (0.9847, 0.7296, 0.1222),
        (0.9759, 0.7909, 0.1973), (0.9623, 0.8522, 0.2867), (0.9486, 0.9109, 0.3962), (0.9518, 0.9608, 0.5247),
        (0.9884, 0.9984, 0.6449),
    ]
}
