import GlimpseCore

/// The masker's forward computation over an explicit parameter table (trained or frozen).
enum MaskerNetwork {
    struct Output {
        /// Low-resolution mask [N, 1, s, s].
        var mask: Tensor
        /// Existence logits [N, 2] (fake, real): [−mean(act)/2, +mean(act)/2].
        var existence: Tensor
        var statistics: [String: BatchStatistics]
    }

    static func forward(_ spec: MaskerSpec, _ p: [String: Tensor], features: [Tensor], selectors: [Int], training: Bool,
                        confidence: Float = 0) throws -> Output {
        let deep = features[0]
        let n = deep.shape[0]
        guard selectors.count == n, selectors.allSatisfy({ (0..<spec.classCount).contains($0) }) else {
            throw TrainingError.invalidSetting("one class in 0..<\(spec.classCount) per image is needed, found \(selectors)")
        }
        var stats: [String: BatchStatistics] = [:]
        // Class selector: e_y (one-hot × embedding), act = Σ_c deep_c · e_y,c, gate σ(act − confidence).
        let oneHot = Tensor(shape: [n, spec.classCount]) { q, count in
            q.initialize(repeating: 0, count: count)
            for (i, y) in selectors.enumerated() { q[i * spec.classCount + y] = 1 }
        }
        let e = try Tensor.matmul(oneHot, p["selector.embedding"]!).reshaped([n, spec.layerChannels[0], 1, 1])
        let act = try (deep * e).sum(axes: [1], keepDims: true)
        var h = try deep * (act - confidence).sigmoid()
        let meanAct = try act.mean(axes: [1, 2, 3], keepDims: false).reshaped([n, 1])
        let existence = try Tensor.concatenate([meanAct * -0.5, meanAct * 0.5], axis: 1)
        for i in spec.decoderWidths.indices {
            h = try Tensor.conv2d(h, filter: p["up\(i).conv.weight"]!, options: .init(stride: 1, padding: 1))
            h = try batchNorm(h, "up\(i).bn", p, training, &stats).relu()
            h = try h.pixelShuffled()
            h = try Tensor.concatenate([h, features[i + 1]], axis: 1)
            h = try Tensor.conv2d(h, filter: p["up\(i).fuse.weight"]!, options: .init(stride: 1, padding: 1))
            h = try batchNorm(h, "up\(i).fusebn", p, training, &stats).relu()
        }
        let ab = try Tensor.conv2d(h, filter: p["head.weight"]!, bias: p["head.bias"]!)
        let a = try ab.sliced(axis: 1, 0..<1).abs(), b = try ab.sliced(axis: 1, 1..<2).abs()
        let mask = try a / (a + b + 1e-6)
        return Output(mask: mask, existence: existence, statistics: stats)
    }

    private static func batchNorm(_ x: Tensor, _ path: String, _ p: [String: Tensor], _ training: Bool,
                                  _ stats: inout [String: BatchStatistics]) throws -> Tensor {
        if training {
            let (y, s) = try x.batchNormTraining(weight: p["\(path).weight"]!, bias: p["\(path).bias"]!, eps: 1e-5)
            stats[path] = s
            return y
        }
        return try x.batchNormInference(mean: p["\(path).running_mean"]!, variance: p["\(path).running_var"]!,
                                        weight: p["\(path).weight"]!, bias: p["\(path).bias"]!, eps: 1e-5)
    }
}

extension Tensor {
    /// PyTorch's PixelShuffle(2): [N, 4C, H, W] → [N, C, 2H, 2W], channel 4c + 2i + j → pixel (2h + i, 2w + j).
    public func pixelShuffled() throws -> Tensor {
        guard rank == 4, shape[1] % 4 == 0 else { throw TrainingError.invalidSetting("pixel shuffle needs [N, 4C, H, W], found \(shape)") }
        let (n, c, h, w) = (shape[0], shape[1] / 4, shape[2], shape[3])
        return try reshaped([n, c, 2, 2, h, w]).permuted([0, 1, 4, 2, 5, 3]).reshaped([n, c, 2 * h, 2 * w])
    }
}
