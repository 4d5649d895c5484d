import GlimpseVis
import GlimpseCore
import GlimpseModels

/// A small seeded CNN built from engine ops: conv 3→8 (ReLU), conv 8→16 stride 2 (ReLU6), global pool, linear 16→5.
final class SmallCNN: Classifier {
    let name = "small-cnn", inputSize = 32, inputChannels = 3, classCount = 5, minimumInputSize = 8
    let layerPaths = ["conv1", "conv2", "fc"]
    let defaultCAMLayer = "conv2"
    let w1: Tensor, w2: Tensor, fc: Tensor

    init(seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        w1 = Tensor.normal([8, 3, 3, 3], std: 0.5, rng: &rng)
        w2 = Tensor.normal([16, 8, 3, 3], std: 0.3, rng: &rng)
        fc = Tensor.normal([5, 16], std: 0.5, rng: &rng)
    }

    func normalizedInput(_ x: Tensor) throws -> Tensor { try x * 2 - 1 }
    func imageFromNormalized(_ x: Tensor) throws -> Tensor { try (x + 1) * 0.5 }
    func forward(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
        let h = pass.tap("conv1", try Tensor.conv2d(normalizedInput(x), filter: w1, options: .init(stride: 1, padding: 1)).relu())
        let g = pass.tap("conv2", try Tensor.conv2d(h, filter: w2, options: .init(stride: 2, padding: 1)).relu6())
        return pass.tap("fc", try Tensor.linear(g.globalAvgPool(), weight: fc, bias: nil))
    }
    func parameterCount(of path: String) -> Int { 0 }
    func kind(of path: String) -> String { "" }
}

/// Renders on the small CNN with small transforms.
func renderSmall(_ objective: Objective, steps: Int, seed: UInt64 = 1, batch: Int = 1,
                 param: ImageParameterization? = nil, transparency: Bool = false, average: Float = 0.125) throws -> Rendering {
    var r = Renderer()
    r.steps = steps
    r.accumulatesTransparency = transparency
    r.averageFraction = average
    r.transforms = [.pad(2, value: 0.5), .jitter(2), .scale([0.95, 1, 1.05]), .rotate([-5, 0, 5]), .jitter(1)]
    return try r.render(model: SmallCNN(seed: 3), objective: objective,
                        parameterization: param ?? FourierImage(batch: batch, height: 32, width: 32), seed: seed)
}


