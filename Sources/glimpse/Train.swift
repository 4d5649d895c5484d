import ArgumentParser
import Foundation
import GlimpseFormats
import GlimpseModels
import GlimpseTraining

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a classifier (Fashion-MNIST CNN), with checkpoints that resume exactly.",
        discussion: """
        Writes into --out: model.safetensors (the weights: glimpse classify/saliency --model \(FashionCNN.arch) \
        --weights DIR/model.safetensors), state.json (settings, step, per-epoch loss/accuracy/test accuracy/seconds) and \
        the checkpoint it points at. Kill a run at any moment and run the same command with --resume: it continues from \
        the last checkpoint and ends with the same weights as an uninterrupted run with the same seed.

        With --model and --data it fine-tunes the last layer of a pretrained model on an image folder instead (the rest \
        frozen), with any --regularizer, and also writes finetuned.safetensors (the full weights with the new head).

        Example: glimpse train --dataset fashion-mnist --arch \(FashionCNN.arch) --epochs 4 --out runs/fmnist
        Example: glimpse train --model efficientnet-lite0 --data photos/ --regularizer cgc --epochs 2 --batch-size 8 --out runs/lite0-cgc
        """
    )

    @Option(name: .long, help: "Data set: fashion-mnist.")
    var dataset: String = "fashion-mnist"

    @Option(name: .long, help: "Architecture: \(FashionCNN.arch).")
    var arch: String = FashionCNN.arch

    @Option(name: .long, help: "Epochs.")
    var epochs: Int = 4

    @Option(name: .long, help: "Run folder (checkpoints, state.json, model.safetensors).")
    var out: String

    @Option(name: .long, help: "Seed of initialisation, shuffling and augmentation.")
    var seed: UInt64 = 0

    @Flag(name: .long, help: "Continue the run in --out from its last checkpoint.")
    var resume = false

    @Option(name: .long, help: "Batch size.")
    var batchSize: Int = 128

    @Option(name: .long, help: "Optimiser: adam, adamw or sgd (momentum 0.9, Nesterov).")
    var optimizer: String = "adamw"

    @Option(name: .long, help: "Peak learning rate (default 3e-3, SGD 0.05; cosine decay to 0 after a linear warm-up of min(100, steps/10) steps).")
    var lr: Float?

    @Option(name: .long, help: "Weight decay.")
    var weightDecay: Float = 5e-4

    @Option(name: .long, help: "Random shifts of up to N pixels (augmentation, besides flips).")
    var shift: Int = 0

    @Option(name: .long, help: "Widths of the three blocks, comma-separated.")
    var widths: String = FashionCNN.defaultWidths.map(String.init).joined(separator: ",")

    @Option(name: .long, help: "Use only the first N training images (quick runs).")
    var limit: Int?

    @Option(name: .long, help: ArgumentHelp("Start from these weights (a model.safetensors; --widths is then ignored) instead of a fresh initialisation.", valueName: "path"))
    var initWeights: String?

    @Option(name: .long, help: "Fine-tune this pretrained model on --data instead (\(FineTuning.headKeys.keys.sorted().joined(separator: ", "))).")
    var model: String?

    @Option(name: .long, help: ArgumentHelp("Layers of --model to train: 'head' (the last linear layer), 'all', or a layer path (e.g. _blocks.12) to train from it on; trained batch norms use the batch's statistics.", valueName: "layers"))
    var fineTuneLayers: String = "head"

    @Option(name: .long, help: ArgumentHelp("Weights of --model (default: its bundled weights).", valueName: "path"))
    var weights: String?

    @Option(name: .long, help: ArgumentHelp("Image folder for --model: one subfolder per class (a new head), or images labelled by the model's own predictions.", valueName: "dir"))
    var data: String?

    @OptionGroup var regularization: TrainRegularizerOptions

    func validate() throws {
        guard (model == nil) == (data == nil) else { throw ValidationError("--model and --data go together (fine-tuning on an image folder)") }
        guard model != nil || fineTuneLayers == "head" else { throw ValidationError("--fine-tune-layers needs --model") }
        guard model == nil || (initWeights == nil && limit == nil) else { throw ValidationError("--init-weights and --limit are for Fashion-MNIST runs; with --model use --weights") }
        guard dataset == "fashion-mnist" else { throw ValidationError("unknown data set '\(dataset)'; known: fashion-mnist") }
        guard arch == FashionCNN.arch else { throw ValidationError("unknown architecture '\(arch)'; known: \(FashionCNN.arch)") }
        guard FashionMNISTRecipe.OptimizerChoice(rawValue: optimizer) != nil else { throw ValidationError("unknown optimiser '\(optimizer)'; known: adam, adamw, sgd") }
        guard blockWidths.count == 3, blockWidths.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--widths needs three positive integers, found '\(widths)'") }
        guard model != nil || regularization.regularizer != "model-doctor" || regularization.doctorModel != nil || initWeights != nil else {
            throw ValidationError("--regularizer model-doctor needs a trained model to diagnose: --doctor-model PATH or --init-weights PATH")
        }
        guard epochs >= 1, batchSize >= 1, shift >= 0, (limit ?? 1) >= 1 else { throw ValidationError("--epochs, --batch-size and --limit must be at least 1, --shift at least 0") }
    }

    var blockWidths: [Int] { widths.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() throws {
        if let model, let data { return try fineTune(model, on: URL(fileURLWithPath: data)) }
        let train = try FashionMNIST.load(.train)
        let data = limit.map { train.prefix($0) } ?? train
        let test = try FashionMNIST.load(.test)
        var config = try FashionMNISTRecipe.config(epochs: epochs, exampleCount: data.count, seed: seed, batchSize: batchSize,
                                                   optimizer: FashionMNISTRecipe.OptimizerChoice(rawValue: optimizer)!,
                                                   learningRate: lr, weightDecay: weightDecay, maxShift: shift)
        config.regularizer = try regularization.make(
            diagnose: TrainRegularizerOptions.diagnosis(ofFashionCNN: (regularization.doctorModel ?? initWeights)!, on: data))
        let model = try FashionCNN(stateDict: initWeights.map { try Safetensors.load(contentsOf: URL(fileURLWithPath: $0)) }
                                   ?? FashionCNN.initialStateDict(widths: blockWidths, seed: seed))
        let state = try ClassifierTraining.train(model, on: data, evaluation: test, config: config, folder: URL(fileURLWithPath: out),
                                                 resume: resume) { p in
            Progress.update("epoch \(p.epoch + 1)/\(epochs)", step: p.batch, of: p.batchesPerEpoch,
                            String(format: "loss %.4f acc %.2f%% lr %.2g", p.loss, 100 * p.accuracy, p.learningRate))
            if p.batch == p.batchesPerEpoch { Progress.finish() }
        }
        for r in state.history {
            Progress.line(String(format: "epoch %d: loss %.4f, train acc %.2f%%, test acc %.2f%%, %.1f s", r.epoch + 1, r.loss,
                                 100 * r.accuracy, 100 * (r.evaluationAccuracy ?? 0), r.seconds))
        }
        print("\(out)/\(Checkpoint.modelFile)")
    }
}
