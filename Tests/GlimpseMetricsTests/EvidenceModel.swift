import GlimpseCore
import GlimpseModels

/// A two-class model with a known answer: logit 0 = `gain` × (the mean of the image over a fixed evidence region
/// E, all channels, − `offset`), logit 1 = 0. Deleting E's pixels is the fastest way to lower class 0's probability; a map
/// equal to E is the perfect explanation and its complement the worst. Input [N, 3, side, side] in [0, 1], no
/// normalisation.
final class EvidenceModel: Classifier {
    let name = "evidence-model"
    let inputSize: Int
    let inputChannels = 3
    let classCount = 2
    let minimumInputSize = 8
    let layerPaths = ["evidence"]
    let defaultCAMLayer = "evidence"
    /// E as [1, 1, side, side] (1 inside, 0 outside).
    let region: Tensor
    let gain: Float
    let offset: Float

    /// E = rows `rows`, columns `columns` of a side×side image.
    init(side: Int = 32, rows: Range<Int>, columns: Range<Int>, gain: Float = 40, offset: Float = 0.6) {
        inputSize = side
        self.gain = gain
        self.offset = offset
        region = Tensor(shape: [1, 1, side, side]) { p, _ in
            for i in 0..<side { for j in 0..<side { p[i * side + j] = rows.contains(i) && columns.contains(j) ? 1 : 0 } }
        }
    }

    var area: Float { region.scalars.reduce(0, +) }

    func forward(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
        let n = x.shape[0]
        let inside = pass.tap("evidence", try (x * region).sum(axes: [1, 2, 3]).reshaped([n, 1]) * (gain / (3 * area)) - gain * offset)
        return try Tensor.concatenate([inside, Tensor(zeros: [n, 1])], axis: 1)
    }

    func normalizedInput(_ x: Tensor) throws -> Tensor { x }
    func imageFromNormalized(_ x: Tensor) throws -> Tensor { x }
    func parameterCount(of path: String) -> Int { 0 }
    func kind(of path: String) -> String { "Evidence" }

    /// An image [1, 3, side, side]: 1 on E, `background` elsewhere.
    func image(background: Float = 0.2) throws -> Tensor {
        try (region * (1 - background) + background).broadcast(to: [1, 3, inputSize, inputSize]).detached()
    }

    /// The evidence region as an [side, side] map, or its complement.
    func regionMap(inverted: Bool = false) throws -> Tensor {
        let e = try region.reshaped([inputSize, inputSize])
        return inverted ? 1 - e : e
    }
}
