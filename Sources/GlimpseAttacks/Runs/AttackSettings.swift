import Foundation
import GlimpseModels

/// Every attack of the suite by command-line name.
public enum AttackMethod: String, Codable, Sendable, CaseIterable {
    case pgd, fgsm, cw, stadv, adv2, advedge, advedgePlus = "advedge+"
    /// The clean-map baseline of experiment tables: no perturbation; the clean image's map for the target class
    /// compared with its map for the true class.
    case clean

    /// The interpreter attack of this method, if it is one.
    public var interpreterMethod: InterpreterAttackMethod? { InterpreterAttackMethod(rawValue: rawValue) }
}

/// The goal of an attack, as written in settings and on the command line: "untargeted", "random", "least-likely"
/// or a class index.
public enum GoalSetting: Codable, Sendable, Equatable {
    case untargeted, random, leastLikely, target(Int)

    public init(parsing text: String) throws {
        switch text {
        case "untargeted": self = .untargeted
        case "random": self = .random
        case "least-likely": self = .leastLikely
        default:
            guard let c = Int(text), c >= 0 else {
                throw AttackError.badParameter("goal must be untargeted, random, least-likely or a class index, found '\(text)'")
            }
            self = .target(c)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int.self) { self = .target(i); return }
        self = try GoalSetting(parsing: c.decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .untargeted: try c.encode("untargeted")
        case .random: try c.encode("random")
        case .leastLikely: try c.encode("least-likely")
        case let .target(i): try c.encode(i)
        }
    }

    /// The goal for one image.
    public var goal: AttackGoal {
        switch self {
        case .untargeted: return .untargeted
        case .random: return .randomTarget
        case .leastLikely: return .leastLikely
        case let .target(c): return .targeted([c])
        }
    }
}

/// One attack configuration, shared by `glimpse attack` and the experiment runner. Unset values come from the
/// preset: ε = 0.031 and α = 1/255 for every method (FGSM: one step of ε); PGD runs as many steps as the
/// interpreter attack of the same preset (warm start + stage 2) without the interpretation term, so that PGD and
/// the interpreter attacks compare like for like; C&W keeps torchattacks' c = 1, κ = 0, lr 0.01 with 100 steps
/// (paper) or 50 (quick); StAdv takes τ = 5e-4 of AdvEdge's 224² notebooks (the paper's 0.05 freezes the flow at
/// this size) with the same step counts (quick: learning rate 0.05).
public struct AttackSettings: Codable, Sendable, Equatable {
    public var method: AttackMethod
    /// "grad", "cam", "gradcam", "mask" or "rts".
    public var interpreter: String
    /// The masker folder of the "rts" interpreter (`glimpse masker train`).
    public var masker: String?
    public var preset: AttackPreset
    public var eps: Float?
    public var alpha: Float?
    /// Classifier attacks: the number of steps. Interpreter attacks: the stage-2 steps in all (the preset's stages
    /// are scaled to it).
    public var steps: Int?
    /// Interpreter attacks: the warm-start steps.
    public var warmStartSteps: Int?
    public var edgeStages: EdgeStages
    /// Interpreter attacks: the framework of both stages.
    public var framework: AttackFramework
    public var goal: GoalSetting
    public var seed: UInt64
    /// Interpreter attacks: a factor on every joint stage's interpretation weight c (the preset's are the papers'
    /// values, tuned on other networks).
    public var mapWeightScale: Float?
    /// The Grad interpreter's smooth-surrogate τ (default 1e-4; its derivative is a spike of width ≈ √τ at each kink).
    public var gradTau: Float?

    public init(method: AttackMethod, interpreter: String = "cam", preset: AttackPreset = .paper, eps: Float? = nil,
                alpha: Float? = nil, steps: Int? = nil, warmStartSteps: Int? = nil, edgeStages: EdgeStages = .warmStart,
                goal: GoalSetting = .random, seed: UInt64 = 0, masker: String? = nil, framework: AttackFramework = .pgd,
                mapWeightScale: Float? = nil, gradTau: Float? = nil) {
        self.mapWeightScale = mapWeightScale
        self.gradTau = gradTau
        self.framework = framework
        self.method = method
        self.interpreter = interpreter
        self.masker = masker
        self.preset = preset
        self.eps = eps
        self.alpha = alpha
        self.steps = steps
        self.warmStartSteps = warmStartSteps
        self.edgeStages = edgeStages
        self.goal = goal
        self.seed = seed
    }

    /// Names of the interpreters the attacks know.
    public static let interpreterNames = ["grad", "cam", "gradcam", "mask", "rts"]

    /// The interpreter called `name`; "rts" needs the `masker` folder and the `model` it was trained for.
    public static func interpreter(named name: String, masker: String? = nil,
                                   model: (any Classifier)? = nil) throws -> any AttackableInterpreter {
        try checkInterpreter(name, masker: masker)
        switch name {
        case "grad": return GradInterpreter()
        case "cam": return CAMInterpreter()
        case "gradcam": return CAMInterpreter(.gradcam)
        case "mask": return MaskInterpreter()
        default:
            guard let model, let masker else { throw AttackError.badParameter("the rts interpreter needs the classifier its masker explains") }
            return try RTSInterpreter(folder: URL(fileURLWithPath: masker), model: model)
        }
    }

    /// Throws unless `name` is a known interpreter and, for "rts", a masker folder is given.
    public static func checkInterpreter(_ name: String, masker: String?) throws {
        guard interpreterNames.contains(name) else {
            throw AttackError.badParameter("unknown interpreter '\(name)'; known: \(interpreterNames.joined(separator: ", "))")
        }
        if name == "rts", masker == nil {
            throw AttackError.badParameter("the rts interpreter needs a masker folder (--masker DIR, from glimpse masker train)")
        }
    }

    /// The method as records and tables name it: interpreter attacks outside the PGD framework get the
    /// framework as a suffix ("adv2-cw", "advedge+-stadv").
    public var recordMethod: String {
        method.interpreterMethod == nil || framework == .pgd ? method.rawValue : "\(method.rawValue)-\(framework.rawValue)"
    }

    /// The interpreter of these settings for `model`.
    public func interpreter(for model: any Classifier) throws -> any AttackableInterpreter {
        try checkTuning()
        let chosen = try Self.interpreter(named: interpreter, masker: masker, model: model)
        if preset == .quick, let mask = chosen as? MaskInterpreter { mask.useQuickSchedule() }
        if let gradTau, var grad = chosen as? GradInterpreter {
            grad.tau = gradTau
            return grad
        }
        return chosen
    }

    /// Throws unless the map-weight scale and the Grad surrogate's τ, when set, are positive and finite (whatever
    /// the interpreter: every run asks for its interpreter first).
    private func checkTuning() throws {
        if let mapWeightScale, !(mapWeightScale.isFinite && mapWeightScale > 0) {
            throw AttackError.badParameter("the map weight scale must be positive, found \(mapWeightScale)")
        }
        if let gradTau, !(gradTau.isFinite && gradTau > 0) {
            throw AttackError.badParameter("the Grad surrogate's τ must be positive, found \(gradTau)")
        }
    }

    /// The interpreter attack for `method` against `interpreter` with these settings applied to the preset.
    func interpreterAttack(_ method: InterpreterAttackMethod, seed: UInt64,
                           interpreter: any AttackableInterpreter) throws -> InterpreterAttack {
        var a = InterpreterAttack.preset(preset, method: method, interpreter: interpreter, framework: framework)
        if let eps { a.eps = eps }
        if let alpha { a.alpha = alpha }
        if let warmStartSteps { a.warmStartSteps = warmStartSteps }
        if let mapWeightScale {
            for i in a.stages.indices {
                a.stages[i].cStart *= mapWeightScale
                a.stages[i].cEnd *= mapWeightScale
            }
        }
        if let steps {
            guard steps >= 0 else { throw AttackError.badParameter("steps must be non-negative, found \(steps)") }
            let total = max(a.stages.reduce(0) { $0 + $1.steps }, 1)
            var left = steps
            for i in a.stages.indices {
                let share = i == a.stages.count - 1 ? left : a.stages[i].steps * steps / total
                a.stages[i].steps = share
                left -= share
            }
        }
        a.edgeStages = edgeStages
        a.goal = goal.goal
        a.seed = seed
        return a
    }

    /// The classifier attack for `method` with these settings.
    func classifierAttack(seed: UInt64) throws -> any ClassifierAttack {
        let reference = try interpreterAttack(.adv2, seed: seed, interpreter: CAMInterpreter())
        switch method {
        case .fgsm: return FGSM(eps: reference.eps, goal: goal.goal, seed: seed)
        case .cw: return CarliniWagnerL2(steps: steps ?? (preset == .paper ? 100 : 50), goal: goal.goal, seed: seed)
        case .stadv:
            return StAdv(tau: 5e-4, steps: steps ?? (preset == .paper ? 100 : 50), learningRate: preset == .paper ? 0.01 : 0.05,
                         goal: goal.goal, seed: seed)
        default:
            return PGDLinf(eps: reference.eps, alpha: reference.alpha, steps: steps ?? reference.totalSteps, randomStart: false,
                           goal: goal.goal, seed: seed)
        }
    }
}
