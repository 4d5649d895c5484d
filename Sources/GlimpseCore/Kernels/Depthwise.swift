/// Depthwise convolution kernels (one filter per channel), on one channel plane at a time.
/// Loops run over valid output ranges only, so no padded copy is made; stride-1 inner loops vectorise.
enum Depthwise {
    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let o = g.o
        out.update(repeating: 0, count: g.ho * g.wo)
        for ky in 0..<g.kh {
            let rows = ConvGeometry.validRange(out: g.ho, size: g.h, stride: o.strideY, pad: o.padTop, offset: ky * o.dilationY)
            for kx in 0..<g.kw {
                let xs = ConvGeometry.validRange(out: g.wo, size: g.w, stride: o.strideX, pad: o.padLeft, offset: kx * o.dilationX)
                if xs.isEmpty { continue }
                let wv = w[ky * g.kw + kx]
                let base = -o.padLeft + kx * o.dilationX
                for oy in rows {
                    let src = x + (oy * o.strideY - o.padTop + ky * o.dilationY) * g.w + base
                    let dst = out + oy * g.wo
                    if o.strideX == 1 {
                        for ox in xs { dst[ox] += wv * src[ox] }
                    } else {
                        let s = o.strideX
                        for ox in xs { dst[ox] += wv * src[ox * s] }
                    }
                }
            }
        }
    }

    static func backwardInput(_ dout: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let o = g.o
        dx.update(repeating: 0, count: g.h * g.w)
        for ky in 0..<g.kh {
            let rows = ConvGeometry.validRange(out: g.ho, size: g.h, stride: o.strideY, pad: o.padTop, offset: ky * o.dilationY)
            for kx in 0..<g.kw {
                let xs = ConvGeometry.validRange(out: g.wo, size: g.w, stride: o.strideX, pad: o.padLeft, offset: kx * o.dilationX)
                if xs.isEmpty { continue }
                let wv = w[ky * g.kw + kx]
                let base = -o.padLeft + kx * o.dilationX
                for oy in rows {
                    let dst = dx + (oy * o.strideY - o.padTop + ky * o.dilationY) * g.w + base
                    let src = dout + oy * g.wo
                    if o.strideX == 1 {
                        for ox in xs { dst[ox] += wv * src[ox] }
                    } else {
                        let s = o.strideX
                        for ox in xs { dst[ox * s] += wv * src[ox] }
                    }
                }
            }
        }
    }

    /// Adds this plane's filter gradient into `dw`.
    static func backwardFilter(_ x: UnsafePointer<Float>, _ dout: UnsafePointer<Float>, _ dw: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let o = g.o
        for ky in 0..<g.kh {
            let rows = ConvGeometry.validRange(out: g.ho, size: g.h, stride: o.strideY, pad: o.padTop, offset: ky * o.dilationY)
            for kx in 0..<g.kw {
                let xs = ConvGeometry.validRange(out: g.wo, size: g.w, stride: o.strideX, pad: o.padLeft, offset: kx * o.dilationX)
                if xs.isEmpty { continue }
                let base = -o.padLeft + kx * o.dilationX
                var acc: Float = 0
                for oy in rows {
                    let src = x + (oy * o.strideY - o.padTop + ky * o.dilationY) * g.w + base
                    let d = dout + oy * g.wo
                    if o.strideX == 1 {
                        for ox in xs { acc += d[ox] * src[ox] }
                    } else {
                        let s = o.strideX
                        for ox in xs { acc += d[ox] * src[ox * s] }
                    }
                }
                dw[ky * g.kw + kx] += acc
            }
        }
    }
}
