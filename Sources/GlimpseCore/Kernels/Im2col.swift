/// im2col / col2im for one image and one group: the column matrix has `cinPerGroup·kh·kw` rows and
/// `ho·wo` columns; padding positions are zeros.
enum Im2col {
    /// Expands output rows `rows` (all rows by default) into a column matrix with `rows.count · wo` columns.
    static func expand(_ x: UnsafePointer<Float>, _ g: ConvGeometry, into col: UnsafeMutablePointer<Float>, rows: Range<Int>? = nil) {
        let o = g.o
        let band = rows ?? 0..<g.ho
        let cols = band.count * g.wo
        for c in 0..<g.cinPerGroup {
            let plane = x + c * g.h * g.w
            for ky in 0..<g.kh {
                let rowsValid = ConvGeometry.validRange(out: g.ho, size: g.h, stride: o.strideY, pad: o.padTop, offset: ky * o.dilationY)
                for kx in 0..<g.kw {
                    let row = col + ((c * g.kh + ky) * g.kw + kx) * cols
                    let xs = ConvGeometry.validRange(out: g.wo, size: g.w, stride: o.strideX, pad: o.padLeft, offset: kx * o.dilationX)
                    for oy in band {
                        let dst = row + (oy - band.lowerBound) * g.wo
                        guard rowsValid.contains(oy), !xs.isEmpty else {
                            dst.update(repeating: 0, count: g.wo)
                            continue
                        }
                        let src = plane + (oy * o.strideY - o.padTop + ky * o.dilationY) * g.w
                        let base = -o.padLeft + kx * o.dilationX
                        if xs.lowerBound > 0 { dst.update(repeating: 0, count: xs.lowerBound) }
                        if o.strideX == 1 {
                            (dst + xs.lowerBound).update(from: src + xs.lowerBound + base, count: xs.count)
                        } else {
                            for ox in xs { dst[ox] = src[ox * o.strideX + base] }
                        }
                        if xs.upperBound < g.wo { (dst + xs.upperBound).update(repeating: 0, count: g.wo - xs.upperBound) }
                    }
                }
            }
        }
    }

    /// Adds the column matrix back into the image (the adjoint of `expand`).
    static func accumulate(_ col: UnsafePointer<Float>, _ g: ConvGeometry, into x: UnsafeMutablePointer<Float>) {
        let o = g.o
        let cols = g.spatialOut
        for c in 0..<g.cinPerGroup {
            let plane = x + c * g.h * g.w
            for ky in 0..<g.kh {
                let rowsValid = ConvGeometry.validRange(out: g.ho, size: g.h, stride: o.strideY, pad: o.padTop, offset: ky * o.dilationY)
                for kx in 0..<g.kw {
                    let row = col + ((c * g.kh + ky) * g.kw + kx) * cols
                    let xs = ConvGeometry.validRange(out: g.wo, size: g.w, stride: o.strideX, pad: o.padLeft, offset: kx * o.dilationX)
                    if xs.isEmpty { continue }
                    let base = -o.padLeft + kx * o.dilationX
                    for oy in rowsValid {
                        let dst = plane + (oy * o.strideY - o.padTop + ky * o.dilationY) * g.w
                        let src = row + oy * g.wo
                        for ox in xs { dst[ox * o.strideX + base] += src[ox] }
                    }
                }
            }
        }
    }
}
