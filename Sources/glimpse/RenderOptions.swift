import ArgumentParser
import Foundation
import GlimpseFormats
import GlimpseVis

/// The optimisation options of `glimpse visualize`, shared by channel, objective and class-agnostic runs.
struct RenderOptions: ParsableArguments {
    @Option(name: .long, help: "Parameterization: fft (Lucid), pixel, or maco (phase only, fixed natural magnitude).")
    var param: String = "fft"

    @Option(name: .long, help: ArgumentHelp("MACO magnitude spectrum: an .npy of [3, h, w/2+1] (e.g. xplique's ImageNet spectrum), resized to the image. Default: 1/f^1.34 (fitted to the sample photos).", valueName: "file"))
    var spectrum: String?

    @Option(name: .long, help: "Optimiser: adam or sgd (Nesterov momentum 0.9).")
    var optimizer: String = "adam"

    @Option(name: .long, help: "Learning rate.")
    var lr: Float = 0.05

    @Option(name: .long, help: "Weight of the spectral penalty (frequency-weighted image energy, power 2); 0 = off.")
    var spectral: Float = 0

    @Option(name: .long, help: "Optimisation steps.")
    var steps: Int = 512

    @Option(name: .long, help: "Image side in pixels.")
    var size: Int = 224

    @Option(name: .long, help: "Seed of the initial parameters and the transforms.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Transform resampling: composite (one interpolation for all transforms: sharper views, fastest) or sequential (one per transform, as Lucid and Lucent do).")
    var resample: String = ImageTransform.Resampling.composite.rawValue

    @Option(name: .long, help: "Transformation robustness: lucid (Lucid's standard transforms: pad, random crops, half-pixel scale, rotation) or lucent (Lucent's: pad, black-filled translations, aligned-corner scale, zero-padded rotation; always resampled one by one).")
    var transforms: String = "lucid"

    @Option(name: .long, help: "Steps at the start with Lucid's redirected ReLU/ReLU6 gradient (0: exact gradient throughout, as Lucent).")
    var redirectedSteps: Int = 16

    @Option(name: .long, help: "Fraction of the steps at the end over which the learning rate falls to 0 along a half cosine (0: constant, as Lucid and Lucent).")
    var lrDecay: Float = 0

    @Option(name: .long, help: "Fraction of the steps at the end whose parameters are averaged into the final image (Polyak–Ruppert tail averaging, no extra cost; 0: the last iterate, as Lucid and Lucent).")
    var average: Float = 0.125

    /// The transform set named by --transforms.
    var transformSet: [ImageTransform] { transforms == "lucent" ? ImageTransform.lucentStandard : ImageTransform.standard }

    func validate() throws {
        guard ["lucid", "lucent"].contains(transforms) else { throw ValidationError("--transforms must be lucid or lucent, found '\(transforms)'") }
        guard ["fft", "pixel", "maco"].contains(param) else { throw ValidationError("--param must be fft, pixel or maco, found '\(param)'") }
        guard OptimizerKind(rawValue: optimizer) != nil else { throw ValidationError("--optimizer must be adam or sgd, found '\(optimizer)'") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be positive") }
        guard redirectedSteps >= 0 else { throw ValidationError("--redirected-steps must be >= 0") }
        guard (0...1).contains(lrDecay) else { throw ValidationError("--lr-decay must be between 0 and 1") }
        guard (0...1).contains(average) else { throw ValidationError("--average must be between 0 and 1") }
        guard spectral >= 0, spectral.isFinite else { throw ValidationError("--spectral must be >= 0") }
        guard (1...100_000).contains(steps) else { throw ValidationError("--steps must be between 1 and 100000") }
        guard (32...1024).contains(size) else { throw ValidationError("--size must be between 32 and 1024") }
        guard ImageTransform.Resampling(rawValue: resample) != nil else { throw ValidationError("--resample must be composite or sequential, found '\(resample)'") }
        if spectrum != nil, param != "maco" { throw ValidationError("--spectrum only applies to --param maco") }
    }

    /// A renderer with these settings.
    func renderer() throws -> Renderer {
        var r = Renderer()
        r.steps = steps
        r.learningRate = lr
        r.optimizer = OptimizerKind(rawValue: optimizer) ?? .adam
        r.resampling = ImageTransform.Resampling(rawValue: resample) ?? .composite
        r.transforms = transformSet
        r.redirectedSteps = redirectedSteps
        r.decayFraction = lrDecay
        r.averageFraction = average
        if spectral > 0 { r.penalties = [try ImagePenalty.spectral(weight: spectral)] }
        return r
    }

    /// The parameterization of `batch` images.
    func parameterization(batch: Int) throws -> any ImageParameterization {
        switch param {
        case "pixel": return try PixelImage(batch: batch, height: size, width: size)
        case "maco":
            let magnitude = try spectrum.map { path -> MagnitudeSpectrum in
                let array = try NPY.load(contentsOf: URL(fileURLWithPath: path))
                guard array.shape.count == 3, array.shape[0] == 3 else {
                    throw ValidationError("--spectrum must hold [3, h, w/2+1], found \(array.shape)")
                }
                return try MagnitudeSpectrum(values: .init(array.values, shape: array.shape)).resized(height: size, width: size)
            } ?? MagnitudeSpectrum.powerLaw(height: size, width: size)
            return try MACOImage(batch: batch, height: size, width: size, spectrum: magnitude)
        default: return try FourierImage(batch: batch, height: size, width: size)
        }
    }

    /// The settings as a JSON object.
    var record: [String: Any] {
        ["param": param, "spectrum": spectrum ?? (param == "maco" ? "1/f^\(MagnitudeSpectrum.naturalExponent)" : "none"),
         "optimizer": optimizer == "sgd" ? "sgd nesterov 0.9" : "adam", "lr": lr, "spectralPenalty": spectral,
         "steps": steps, "size": size, "seed": seed, "transforms": "\(transforms)-standard",
         "resampling": transforms == "lucent" ? "sequential" : resample, "redirectedReluSteps": redirectedSteps,
         "lrDecayFraction": lrDecay, "averagedFraction": average]
    }
}
