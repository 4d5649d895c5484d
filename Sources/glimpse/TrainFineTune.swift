import ArgumentParser
import Foundation
import GlimpseFormats
import GlimpseModels
import GlimpseTraining

extension Train {
    /// Fine-tunes zoo model `name` (the layers of `--fine-tune-layers`) on the images of `folder` (labelled by
    /// subfolder, else by the model's own predictions), with the chosen regularizer; resumable like every run.
    func fineTune(_ name: String, on folder: URL) throws {
        let weightsURL = try weights.map { URL(fileURLWithPath: $0) } ?? ModelZoo.defaultWeights(for: name)
        let dict = try ModelZoo.stateDict(at: weightsURL)
        let pretrained = try FineTuning(model: name, stateDict: dict)
        let labelled = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.isDirectoryKey], options: [.skipsHiddenFiles])
            .contains { $0.hasDirectoryPath }
        let images: LabeledImages, classNames: [String]?
        if labelled {
            (images, classNames) = try ImageFolder.labelled(folder, size: pretrained.inputSize, channels: pretrained.inputChannels)
        } else {
            (images, classNames) = (try ImageFolder.predicted(folder, by: pretrained.backbone), nil)
        }
        let model = try FineTuning(model: name, stateDict: dict, classCount: classNames?.count, layers: layerChoice, seed: seed)
        var config = try FashionMNISTRecipe.config(epochs: epochs, exampleCount: images.count, seed: seed, batchSize: min(batchSize, images.count),
                                                   optimizer: FashionMNISTRecipe.OptimizerChoice(rawValue: optimizer)!,
                                                   learningRate: lr ?? 1e-3, weightDecay: weightDecay, maxShift: shift)
        config.checkpointEvery = 5
        config.regularizer = try regularization.make(camLayer: model.featureLayer, doctorLayer: model.featureLayer) { layer, perClass, theta in
            let diagnosed: FineTuning
            if let path = regularization.doctorModel {
                diagnosed = try FineTuning(model: name, stateDict: ModelZoo.stateDict(at: URL(fileURLWithPath: path)), classCount: model.classCount)
            } else {
                guard classNames == nil else {
                    throw ValidationError("model-doctor on new classes needs --doctor-model (the finetuned.safetensors of an earlier run on this folder)")
                }
                diagnosed = pretrained
            }
            return try ModelDoctor.diagnose(diagnosed, on: images, layer: layer, imagesPerClass: perClass, threshold: theta)
        }
        let out = URL(fileURLWithPath: self.out)
        let state = try ClassifierTraining.train(model, on: images, config: config, folder: out, resume: resume) { p in
            Progress.update("epoch \(p.epoch + 1)/\(epochs)", step: p.batch, of: p.batchesPerEpoch,
                            String(format: "loss %.4f acc %.2f%% lr %.2g", p.loss, 100 * p.accuracy, p.learningRate))
            if p.batch == p.batchesPerEpoch { Progress.finish() }
        }
        for r in state.history {
            Progress.line(String(format: "epoch %d: loss %.4f, train acc %.2f%%, %.1f s", r.epoch + 1, r.loss, 100 * r.accuracy, r.seconds))
        }
        try Safetensors.write(model.fullStateDict(replacingIn: dict), metadata: ["arch": name], to: out.appendingPathComponent("finetuned.safetensors"))
        if let classNames { try AtomicFile.write(Data((classNames.joined(separator: "\n") + "\n").utf8), to: out.appendingPathComponent("classes.txt")) }
        print(out.appendingPathComponent("finetuned.safetensors").path)
    }

    /// `--fine-tune-layers` as a `FineTuning.Layers`.
    var layerChoice: FineTuning.Layers {
        switch fineTuneLayers {
        case "head": .head
        case "all": .all
        default: .from(fineTuneLayers)
        }
    }
}
