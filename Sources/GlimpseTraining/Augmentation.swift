import GlimpseCore

/// Random crop, horizontal flip and scale, applied per image by resampling a random source rectangle
/// (bilinear, zeros outside the image) to the output size.
public struct Augmentation: Codable, Sendable, Equatable {
    /// Horizontal flip with probability 1/2.
    public var flip = false
    /// Largest shift of the crop, in pixels, each way (a padded random crop).
    public var maxShift = 0
    /// Range of the fraction of the image area covered by the crop (1...1 = no scaling).
    public var areaRange: ClosedRange<Float> = 1...1
    /// Output side length (nil: the input size).
    public var outputSize: Int?

    public init(flip: Bool = false, maxShift: Int = 0, areaRange: ClosedRange<Float> = 1...1, outputSize: Int? = nil) {
        self.flip = flip; self.maxShift = maxShift; self.areaRange = areaRange; self.outputSize = outputSize
    }

    /// No change (except a resize to `outputSize`).
    public static let none = Augmentation()
    /// Fashion-MNIST: flips and shifts of up to 2 pixels.
    public static let fashionMNIST = Augmentation(flip: true, maxShift: 2)
    /// ImageNet-style random-sized crop (area 0.3…1, as Dabkowski & Gal) with flips, to `size`.
    public static func randomSizedCrop(_ size: Int) -> Augmentation { Augmentation(flip: true, areaRange: 0.3...1, outputSize: size) }

    /// Augmented copies of a batch x [N, C, H, W]; each image draws its own crop from `rng`.
    public func apply(_ x: Tensor, rng: inout SeededRNG) throws -> Tensor {
        guard x.rank == 4 else { throw TrainingError.invalidSetting("augmentation needs [N, C, H, W], found \(x.shape)") }
        guard areaRange.lowerBound > 0, areaRange.upperBound <= 1, maxShift >= 0 else {
            throw TrainingError.invalidSetting("augmentation area \(areaRange) must lie in (0, 1], shift \(maxShift) ≥ 0")
        }
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let side = outputSize ?? h, sideW = outputSize ?? w
        var crops: [(Float, Float, Float, Float, Bool)] = []
        for _ in 0..<n {
            let area = areaRange.lowerBound + (areaRange.upperBound - areaRange.lowerBound) * rng.nextUniform()
            let scale = area.squareRoot()
            let cw = Float(w) * scale, ch = Float(h) * scale
            var x0 = (Float(w) - cw) * rng.nextUniform(), y0 = (Float(h) - ch) * rng.nextUniform()
            if maxShift > 0 {
                x0 += Float(Int(rng.next() % UInt64(2 * maxShift + 1)) - maxShift)
                y0 += Float(Int(rng.next() % UInt64(2 * maxShift + 1)) - maxShift)
            }
            let flipped = flip && rng.next() & 1 == 1
            crops.append((x0, y0, cw, ch, flipped))
        }
        return x.withUnsafeBufferPointer { src in
            Tensor(shape: [n, c, side, sideW]) { out, _ in
                for (i, crop) in crops.enumerated() {
                    Augmentation.resample(src.baseAddress! + i * c * h * w, c: c, h: h, w: w, crop: crop,
                                          into: out + i * c * side * sideW, outH: side, outW: sideW)
                }
            }
        }
    }

    /// Bilinear sampling of the rectangle (x0, y0, width, height) to outH×outW, pixel centres aligned (half-pixel).
    static func resample(_ src: UnsafePointer<Float>, c: Int, h: Int, w: Int, crop: (Float, Float, Float, Float, Bool),
                         into out: UnsafeMutablePointer<Float>, outH: Int, outW: Int) {
        let (x0, y0, cw, ch, flipped) = crop
        let sx = cw / Float(outW), sy = ch / Float(outH)
        func at(_ plane: UnsafePointer<Float>, _ yy: Int, _ xx: Int) -> Float {
            (yy < 0 || yy >= h || xx < 0 || xx >= w) ? 0 : plane[yy * w + xx]
        }
        for ch0 in 0..<c {
            let plane = src + ch0 * h * w
            for oy in 0..<outH {
                let fy = y0 + (Float(oy) + 0.5) * sy - 0.5
                let iy = Int(fy.rounded(.down)); let ty = fy - Float(iy)
                for ox in 0..<outW {
                    let col = flipped ? outW - 1 - ox : ox
                    let fx = x0 + (Float(col) + 0.5) * sx - 0.5
                    let ix = Int(fx.rounded(.down)); let tx = fx - Float(ix)
                    let top = at(plane, iy, ix) * (1 - tx) + at(plane, iy, ix + 1) * tx
                    let bottom = at(plane, iy + 1, ix) * (1 - tx) + at(plane, iy + 1, ix + 1) * tx
                    out[(ch0 * outH + oy) * outW + ox] = top * (1 - ty) + bottom * ty
                }
            }
        }
    }
}
