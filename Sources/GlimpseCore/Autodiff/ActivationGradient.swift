/// The backward rule of ReLU-family activations (ReLU, ReLU6) during a pass. Forward values never change.
///
/// It is a property of the pass, set with `withActivationGradient(_:_:)`, never done by swapping modules.
/// In the formulas, `x` is the activation's input and `g` the incoming gradient.
public enum ActivationGradient: Sendable, Equatable {
    /// The true derivative: `g · 1[0 < x (< 6)]`.
    case exact
    /// Guided backpropagation (Springenberg et al.): `ReLU(g) · 1[0 < x (< 6)]`.
    case guided
    /// Deconvnet (Zeiler & Fergus): `ReLU(g)`, ignoring `x`.
    case deconvnet
    /// Lucid's redirected gradient: the exact gradient, except where it is zero for a whole example; then `g`
    /// with the entries that would push an input further out of the active range zeroed
    /// (`x < 0 ∧ g > 0`, and for ReLU6 `x > 6 ∧ g < 0`), `g` being the gradient of a loss to be minimised.
    case redirected
    /// Smooth surrogate for second-order attacks (ADV²): `g · h(x)` with `h(z) = z/√(z²+τ)` for `z ≥ 0`,
    /// `1 + z/√(z²+τ)` for `z < 0`; for ReLU6 `h(z) − h(z − 6)`. Its derivative `τ/(z²+τ)^{3/2}` is never zero,
    /// so gradients of gradients flow.
    case smooth(tau: Float)
}

/// Runs `body` with the given activation gradient rule on this thread.
public func withActivationGradient<R>(_ rule: ActivationGradient, _ body: () throws -> R) rethrows -> R {
    let context = GradContext.current
    let saved = context.activationGradient
    context.activationGradient = rule
    defer { context.activationGradient = saved }
    return try body()
}

/// The rule in force on this thread.
public var currentActivationGradient: ActivationGradient { GradContext.current.activationGradient }
