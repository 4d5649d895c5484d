import GlimpseCore
import GlimpseModels

extension ModelDoctor {
    /// Model Doctor's diagnosis of a trained `model` (inference mode) on `data`: per class, the `imagesPerClass`
    /// correctly classified images with the highest softmax confidence (ties: the earlier image); the sum over them and
    /// over positions of ReLU(∂z_class/∂A) at `layer`, min-max normalised over channels ((v − min)/(max − min + 1e-5));
    /// 1 where it exceeds `threshold` θ (the reference: 50 images, θ = 0.2). Classes without such an image get an
    /// empty row (not diagnosed). Deterministic.
    public static func diagnose(_ model: any Classifier, on data: LabeledImages, layer: String, imagesPerClass: Int = 50,
                                threshold: Float = 0.2, batchSize: Int = 100) throws -> [[Float]] {
        guard imagesPerClass >= 1, batchSize >= 1, threshold.isFinite, (0..<1).contains(threshold) else {
            throw TrainingError.invalidSetting("Model Doctor's diagnosis needs at least 1 image per class (\(imagesPerClass)) and 0 ≤ θ < 1 (\(threshold))")
        }
        guard data.channels == model.inputChannels, data.classCount <= model.classCount else {
            throw TrainingError.dataset("\(model.name) takes \(model.inputChannels)-channel images and \(model.classCount) classes; the data has \(data.channels) and \(data.classCount)")
        }
        var confident: [[(index: Int, confidence: Float)]] = Array(repeating: [], count: model.classCount)
        for start in stride(from: 0, to: data.count, by: batchSize) {
            let indices = Array(start..<min(start + batchSize, data.count))
            let (x, labels) = data.batch(indices)
            let p = try model.logits(x).softmax(axis: 1).scalars, c = model.classCount
            for (row, i) in indices.enumerated() {
                let probabilities = p[(row * c)..<((row + 1) * c)]
                let top = probabilities.indices.max { probabilities[$0] < probabilities[$1] }! - row * c
                if top == labels[row] { confident[top].append((i, probabilities[row * c + top])) }
            }
        }
        var sums: [[Float]?] = Array(repeating: nil, count: model.classCount)
        let chosen = confident.map { list in
            list.sorted { $0.confidence > $1.confidence || ($0.confidence == $1.confidence && $0.index < $1.index) }.prefix(imagesPerClass).map(\.index)
        }.flatMap { $0 }.sorted()
        for start in stride(from: 0, to: chosen.count, by: batchSize) {
            let (x, labels) = data.batch(Array(chosen[start..<min(start + batchSize, chosen.count)]))
            let g = try classChannelGradients(model, x, classes: labels, layer: layer)
            let width = g.shape[1], values = g.scalars
            for (row, label) in labels.enumerated() {
                let add = values[(row * width)..<((row + 1) * width)]
                sums[label] = zip(sums[label] ?? [Float](repeating: 0, count: width), add).map { $0 + $1 }
            }
        }
        return sums.map { row in
            guard let row, let lo = row.min(), let hi = row.max() else { return [] }
            return row.map { ($0 - lo) / (hi - lo + 1e-5) > threshold ? 1 : 0 }
        }
    }

    /// Σ_ij ReLU(∂z_classes[b]/∂A_b) per image and channel [N, C_A] at `layer`, the model in inference mode.
    static func classChannelGradients(_ model: any Classifier, _ x: Tensor, classes: [Int], layer: String) throws -> Tensor {
        let pass = ForwardPass(capturing: [layer])
        let logits = try model.forward(x.detached().requiringGradient(), pass: pass)
        guard let a = pass.captured[layer] else { throw TrainingError.invalidSetting("\(model.name) has no layer \(layer)") }
        return try channelGradients(logits, a, classes: classes, scale: 1, createGraph: false)
    }

    /// Mean over `images` of the fraction of the true class's positive channel gradient Σ_ij ReLU(∂z_y/∂A) that falls on
    /// channels outside its mask M[y] (images of undiagnosed classes skipped) — what the treatment lowers.
    public func offMaskFraction(_ model: any Classifier, images: Tensor, labels: [Int]) throws -> Double {
        let g = try Self.classChannelGradients(model, images, classes: labels, layer: layer)
        let width = g.shape[1], values = g.scalars
        var total = 0.0, counted = 0
        for (row, label) in labels.enumerated() where !channelMask[label].isEmpty {
            guard channelMask[label].count == width else {
                throw TrainingError.invalidSetting("Model Doctor's mask has \(channelMask[label].count) channels; \(layer) has \(width)")
            }
            let channels = values[(row * width)..<((row + 1) * width)]
            let all = channels.reduce(0, +)
            guard all > 0 else { continue }
            total += Double(zip(channels, channelMask[label]).reduce(0) { $0 + $1.0 * (1 - $1.1) } / all)
            counted += 1
        }
        return counted == 0 ? 0 : total / Double(counted)
    }
}

extension ModelDoctor {
    /// Mean over `images` of the share of the true class's gradient magnitude Σ|∂z_y/∂A| at `layer` that falls on the
    /// background (outside `foreground`), the model in inference mode — what the spatial constraint lowers.
    public func backgroundFraction(_ model: any Classifier, images: Tensor, labels: [Int]) throws -> Double {
        let pass = ForwardPass(capturing: [layer])
        let logits = try model.forward(images.detached().requiringGradient(), pass: pass)
        guard let a = pass.captured[layer], a.rank == 4 else { throw TrainingError.invalidSetting("\(model.name) has no feature map \(layer)") }
        let g = try Self.logitGradient(logits, a, classes: labels, scale: 1, createGraph: false).scalars
        let background = try foreground(images, height: a.shape[2], width: a.shape[3]).scalars.map { 1 - $0 }
        let (channels, plane) = (a.shape[1], a.shape[2] * a.shape[3])
        var total = 0.0
        for b in 0..<labels.count {
            var off = 0.0, all = 0.0
            for k in 0..<channels {
                for p in 0..<plane {
                    let m = Double(abs(g[(b * channels + k) * plane + p]))
                    all += m
                    off += m * Double(background[b * plane + p])
                }
            }
            total += all > 0 ? off / all : 0
        }
        return total / Double(max(labels.count, 1))
    }

    /// Mean over `images` of the channel constraint per image, Σ_k Ĝ_k(z_y′)·M[y′][k] + Σ_k Ĝ_k(z_y)·(1 − M[y][k]), with
    /// unscaled per-image gradients and the model in inference mode — the quantity the treatment minimises.
    public func meanConstraint(_ model: any Classifier, images: Tensor, labels: [Int]) throws -> Double {
        let logits = try model.logits(images)
        let own = try Self.classChannelGradients(model, images, classes: labels, layer: layer)
        try checkShape(own, classes: logits.shape[1])
        let rivals = Self.rivalClasses(logits, labels: labels)
        let rival = try Self.classChannelGradients(model, images, classes: rivals, layer: layer)
        let total = try ((rival * weights(rivals, inverted: false)).sum() + (own * weights(labels, inverted: true)).sum()).scalar
        return Double(total) / Double(max(labels.count, 1))
    }
}
