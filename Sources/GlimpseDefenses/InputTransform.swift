import GlimpseCore
import GlimpseImage

/// An input transformation used as a pre-processing defense or as a feature squeezer (Xu, Evans & Qi, "Feature
/// Squeezing", NDSS 2018; Guo et al., "Countering Adversarial Images using Input Transformations", ICLR 2018).
/// Inputs are images [N, C, H, W] in [0, 1].
///
/// `apply` is differentiable so that adaptive attacks can go through it: Gaussian smoothing exactly, the median
/// filter through the selected pixel (as max pooling does), bit-depth reduction and JPEG with the straight-through
/// estimator (BPDA, Athalye et al. 2018: the forward value of the transform, the identity's gradient).
public enum InputTransform: Sendable, Equatable, CustomStringConvertible {
    /// Keep `bits` bits per channel: round(x·(2^bits − 1)) / (2^bits − 1). Xu et al. use 1-5 bits (ImageNet: 4-5).
    case bitDepth(bits: Int)
    /// Median over size×size windows of each channel, edges reflected (scipy.ndimage.median_filter's `reflect`;
    /// for even sizes the window is [i − size/2, i + size/2 − 1] and the upper median is taken, as scipy does).
    case median(size: Int)
    /// Re-encode as 8-bit JPEG at `quality` (libjpeg-turbo) and decode.
    case jpeg(quality: Int)
    /// Gaussian blur with standard deviation `sigma` pixels.
    case gaussian(sigma: Float)

    public var description: String {
        switch self {
        case let .bitDepth(b): return "bits:\(b)"
        case let .median(s): return "median:\(s)"
        case let .jpeg(q): return "jpeg:\(q)"
        case let .gaussian(s): return "gaussian:\(s)"
        }
    }

    /// Parses "bits:4", "median:2", "jpeg:75" or "gaussian:1.0".
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else {
            throw DefenseError.invalidOption("input transform '\(text)': expected bits:B, median:S, jpeg:Q or gaussian:SIGMA")
        }
        switch parts[0] {
        case "bits": self = .bitDepth(bits: Int(parts[1]) ?? -1)
        case "median": self = .median(size: Int(parts[1]) ?? -1)
        case "jpeg": self = .jpeg(quality: Int(parts[1]) ?? -1)
        case "gaussian": self = .gaussian(sigma: Float(parts[1]) ?? -1)
        default: throw DefenseError.invalidOption("unknown input transform '\(parts[0])' (bits, median, jpeg, gaussian)")
        }
        try validate()
    }

    /// Throws for out-of-range parameters.
    public func validate() throws {
        switch self {
        case let .bitDepth(b) where !(1...8).contains(b): throw DefenseError.invalidOption("bit depth must be 1...8, got \(b)")
        case let .median(s) where !(2...7).contains(s): throw DefenseError.invalidOption("median size must be 2...7, got \(s)")
        case let .jpeg(q) where !(1...100).contains(q): throw DefenseError.invalidOption("JPEG quality must be 1...100, got \(q)")
        case let .gaussian(s) where !(s > 0 && s <= 10): throw DefenseError.invalidOption("Gaussian sigma must be in (0, 10], got \(s)")
        default: break
        }
    }

    /// The transformed images.
    public func apply(_ x: Tensor) throws -> Tensor {
        try validate()
        guard x.rank == 4 else { throw DefenseError.badInput("input transforms take images [N, C, H, W], got \(x.shape)") }
        try x.checkFinite("the image given to the \(self) transform")
        switch self {
        case let .bitDepth(bits):
            let levels = Float((1 << bits) - 1)
            return try straightThrough(x) { t in
                try Tensor(t.scalars.map { (Swift.min(Swift.max($0, 0), 1) * levels).rounded() / levels }, shape: t.shape)
            }
        case let .median(size): return try Self.median(x, size: size)
        case let .jpeg(quality): return try straightThrough(x) { try Self.jpegRoundTrip($0, quality: quality) }
        case let .gaussian(sigma): return try x.gaussianBlurred(sigma: sigma)
        }
    }

    /// x + (f(x) − x) with the difference held constant: f's value, the identity's gradient.
    private func straightThrough(_ x: Tensor, _ f: (Tensor) throws -> Tensor) throws -> Tensor {
        let shift = try withoutGradient { try f(x) - x }
        return try x + shift
    }

    /// Median filter as a gather of the selected pixels, so gradients flow to them.
    static func median(_ x: Tensor, size: Int) throws -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let before = size / 2
        func reflect(_ i: Int, _ n: Int) -> Int {
            var i = i
            while i < 0 || i >= n { i = i < 0 ? -i - 1 : 2 * n - i - 1 }
            return i
        }
        let values = x.scalars
        var indices = [Int32](repeating: 0, count: values.count)
        var window = [(Float, Int32)](repeating: (0, 0), count: size * size)
        for plane in 0..<(n * c) {
            let base = plane * h * w
            for y in 0..<h {
                for xx in 0..<w {
                    var k = 0
                    for dy in 0..<size {
                        let yy = reflect(y - before + dy, h)
                        for dx in 0..<size {
                            let at = base + yy * w + reflect(xx - before + dx, w)
                            window[k] = (values[at], Int32(at))
                            k += 1
                        }
                    }
                    window.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
                    indices[base + y * w + xx] = window[window.count / 2].1
                }
            }
        }
        return try x.gathered(indices, shape: x.shape)
    }

    /// Each image encoded as JPEG and decoded again (grey images go through RGB and back).
    static func jpegRoundTrip(_ x: Tensor, quality: Int) throws -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        guard c == 1 || c == 3 else { throw DefenseError.badInput("JPEG re-encoding needs 1 or 3 channels, got \(c)") }
        let values = x.scalars
        var out = [Float]()
        out.reserveCapacity(values.count)
        for i in 0..<n {
            var planes = Array(values[(i * c * h * w)..<((i + 1) * c * h * w)])
            if c == 1 { planes = planes + planes + planes }
            let image = try RGBImage(planar: planes, channels: 3, width: w, height: h)
            let decoded = try ImageCodec.decode(ImageCodec.encodeJPEG(image, quality: quality)).planarFloats()
            if c == 1 {
                let plane = h * w
                out += (0..<plane).map { (decoded[$0] + decoded[plane + $0] + decoded[2 * plane + $0]) / 3 }
            } else {
                out += decoded
            }
        }
        return try Tensor(out, shape: x.shape)
    }
}
