import GlimpseFormats

/// An independent Float64 forward and backward pass of the tiny network (conv1 → bn1 → ReLU → max pool 2 →
/// conv2 → ReLU → global average pool → fc) for one 28×28 image, with a pluggable ReLU backward rule, to check
/// the input gradients of vanilla, guided and deconvnet backpropagation element-wise.
struct TinyBackwardReference {
    enum Rule { case exact, guided, deconvnet }

    let sd: StateDict
    func values(_ key: String) -> [Double] { sd[key]!.values.map(Double.init) }

    /// 3×3 convolution, zero padding 1, `cin` → `cout` channels on `side`×`side` planes.
    func conv(_ x: [Double], _ w: [Double], _ b: [Double]?, cin: Int, cout: Int, side: Int) -> [Double] {
        var y = [Double](repeating: 0, count: cout * side * side)
        for o in 0..<cout { for i in 0..<side { for j in 0..<side {
            var v = b?[o] ?? 0
            for c in 0..<cin { for di in -1...1 where (0..<side).contains(i + di) { for dj in -1...1 where (0..<side).contains(j + dj) {
                v += w[((o * cin + c) * 3 + di + 1) * 3 + dj + 1] * x[(c * side + i + di) * side + j + dj]
            } } }
            y[(o * side + i) * side + j] = v
        } } }
        return y
    }

    /// The transpose of `conv` (no bias): gradient with respect to its input.
    func convBackward(_ g: [Double], _ w: [Double], cin: Int, cout: Int, side: Int) -> [Double] {
        var dx = [Double](repeating: 0, count: cin * side * side)
        for o in 0..<cout { for i in 0..<side { for j in 0..<side {
            let go = g[(o * side + i) * side + j]
            guard go != 0 else { continue }
            for c in 0..<cin { for di in -1...1 where (0..<side).contains(i + di) { for dj in -1...1 where (0..<side).contains(j + dj) {
                dx[(c * side + i + di) * side + j + dj] += w[((o * cin + c) * 3 + di + 1) * 3 + dj + 1] * go
            } } }
        } } }
        return dx
    }

    func reluBackward(_ g: [Double], input x: [Double], _ rule: Rule) -> [Double] {
        zip(g, x).map { g, x in
            switch rule {
            case .exact: return x > 0 ? g : 0
            case .guided: return x > 0 && g > 0 ? g : 0
            case .deconvnet: return max(g, 0)
            }
        }
    }

    /// ∂ logit[c] / ∂ image under `rule`.
    func inputGradient(_ image: [Double], _ c: Int, _ rule: Rule) -> [Double] {
        let w1 = values("conv1.weight"), w2 = values("conv2.weight")
        let gamma = values("bn1.weight"), beta = values("bn1.bias"), mu = values("bn1.running_mean"), v = values("bn1.running_var")
        let scale = (0..<8).map { gamma[$0] / (v[$0] + 1e-5).squareRoot() }
        let c1 = conv(image, w1, values("conv1.bias"), cin: 1, cout: 8, side: 28)
        let bn = c1.indices.map { i in (c1[i] - mu[i / 784]) * scale[i / 784] + beta[i / 784] }
        let r1 = bn.map { max($0, 0) }
        var pooled = [Double](repeating: 0, count: 8 * 196), argmax = [Int](repeating: 0, count: 8 * 196)
        for k in 0..<8 { for i in 0..<14 { for j in 0..<14 {
            var best = -Double.infinity, at = 0
            for di in 0..<2 { for dj in 0..<2 {
                let index = (k * 28 + 2 * i + di) * 28 + 2 * j + dj
                if r1[index] > best { (best, at) = (r1[index], index) }
            } }
            (pooled[(k * 14 + i) * 14 + j], argmax[(k * 14 + i) * 14 + j]) = (best, at)
        } } }
        let c2 = conv(pooled, w2, values("conv2.bias"), cin: 8, cout: 16, side: 14)
        let fc = values("fc.weight")
        let gR2 = (0..<(16 * 196)).map { fc[c * 16 + $0 / 196] / 196 }
        let gPool = convBackward(reluBackward(gR2, input: c2, rule), w2, cin: 8, cout: 16, side: 14)
        var gR1 = [Double](repeating: 0, count: 8 * 784)
        for (p, at) in argmax.enumerated() { gR1[at] += gPool[p] }
        let gBN = reluBackward(gR1, input: bn, rule)
        let gC1 = gBN.indices.map { gBN[$0] * scale[$0 / 784] }
        return convBackward(gC1, w1, cin: 1, cout: 8, side: 28)
    }
}
