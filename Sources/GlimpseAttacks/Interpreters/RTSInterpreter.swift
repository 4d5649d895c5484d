import Foundation
import GlimpseCore
import GlimpseModels
import GlimpseTraining

/// Real-time saliency (Dabkowski & Gal, "Real Time Image Saliency for Black Box Classifiers", NIPS 2017) as ADV²
/// attacks it: the trained masking model (`glimpse masker train`) is an ordinary network, so the attack backpropagates
/// the interpretation loss through it into the classifier's encoder features and the image.
///
/// Map: the masker's mask for the class, [N, s, s] on its own grid (Lite0: 56×56, Fashion-MNIST CNN: 14×14), in
/// [0, 1] by construction (no normalisation); high values are the pixels the mask keeps. The interpretation loss is
/// averaged over the pixels (ADV²'s `rts_attack_acid.py`). One classifier pass gives both the logits and the encoder
/// features the masker reads. The masker's `confidence` (the selector gate's offset) is used as loaded, as
/// `glimpse saliency --method rts` does (0; ADV² sets 6 in its attack, AdvEdge 5).
///
/// Departure from ADV²: its stage-2 prediction loss adds 0.1·CE of the masking model's own encoder logits; here the
/// encoder *is* the attacked classifier, so that term would only rescale the CE and is left out.
public struct RTSInterpreter: AttackableInterpreter {
    public let name = "rts"
    public let masker: MaskingModel

    public init(masker: MaskingModel) { self.masker = masker }

    /// Loads the masker in `folder` (`masker.json`, `masker.safetensors`) trained for `model`.
    public init(folder: URL, model: any Classifier) throws {
        do { masker = try MaskingModel.load(from: folder, classifier: model) } catch let error as TrainingError {
            throw AttackError.badParameter("rts interpreter: \(error)")
        }
    }

    public var lossReduction: MapLossReduction { .mean }

    public func attackTerms(_ model: any Classifier, _ x: Tensor, classes: [Int]) throws -> (map: Tensor, logits: Tensor) {
        try InterpreterSupport.check(model, x, classes: classes)
        guard model.name == masker.spec.model, model.classCount == masker.spec.classCount else {
            throw AttackError.badParameter("the rts masker explains \(masker.spec.model), not \(model.name)")
        }
        let result = try model.run(x, capturing: Set(masker.spec.layers))
        let features = try masker.spec.layers.map { try result.layer($0) }
        let mask: Tensor
        do { mask = try masker.nativeMasks(features: features, classes: classes) } catch let error as TrainingError {
            throw AttackError.badInput("rts interpreter: \(error)")
        }
        return (try mask.reshaped([x.shape[0], mask.shape[2], mask.shape[3]]), result.logits)
    }

    public func map(_ model: any Classifier, _ x: Tensor, classes: [Int]) throws -> Tensor {
        try withoutGradient { try attackTerms(model, x.detached(), classes: classes).map.detached() }
    }
}
