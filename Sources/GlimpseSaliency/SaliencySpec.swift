import Foundation
import GlimpseCore
import GlimpseModels

/// A saliency method as named on the command line: a `SaliencyMethod`, or `sess:NAME` for SESS wrapping it.
public struct SaliencySpec: Sendable, Equatable, CustomStringConvertible {
    public let method: SaliencyMethod
    /// True when SESS wraps `method`.
    public let sess: Bool

    public init(_ method: SaliencyMethod, sess: Bool = false) {
        self.method = method
        self.sess = sess
    }

    /// Parses `NAME` or `sess:NAME`; throws `SaliencyError.unknownMethod` for an unknown name.
    public init(parsing text: String) throws {
        let isSESS = text.hasPrefix("sess:")
        let name = isSESS ? String(text.dropFirst(5)) : text
        guard let m = SaliencyMethod(rawValue: name) else {
            throw SaliencyError.unknownMethod(text, known: SaliencyMethod.allCases.map(\.rawValue) + ["sess:NAME"])
        }
        self.init(m, sess: isSESS)
    }

    /// Parses a comma-separated list such as `gradcam, sess:scorecam` (spaces around names ignored), as
    /// `--method` of `glimpse saliency` and `glimpse evaluate` takes it.
    public static func list(parsing text: String) throws -> [SaliencySpec] {
        try text.split(separator: ",").map { try SaliencySpec(parsing: $0.trimmingCharacters(in: .whitespaces)) }
    }

    /// `--help` line of the wrapper: `sess:NAME` and its paper.
    public static let sessHelp = "Tursun et al. 2022, SESS (Saliency Enhancing with Scaling and Sliding) wrapping NAME"

    public var description: String { sess ? "sess:\(method.rawValue)" : method.rawValue }

    /// True when the map is normalised to [0, 1] (CAM methods and SESS).
    public var isNormalized: Bool { sess || method.usesLayer }

    /// The map [H, W] of x [1, C, H, W].
    public func map(model: any Classifier, _ x: Tensor, target: SaliencyTarget,
                    options: SaliencyMethod.Options = .init()) throws -> Tensor {
        sess ? try SESS(base: method).map(model: model, x, target: target, options: options)
            : try method.map(model: model, x, target: target, options: options)
    }
}
