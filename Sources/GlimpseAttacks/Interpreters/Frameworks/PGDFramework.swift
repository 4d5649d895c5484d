import GlimpseCore

/// The PGD framework of the interpreter attacks (ADV²'s and AdvEdge's default; Madry et al., ICLR 2018, for the
/// steps): both stages take signed-gradient steps `x ← Π(x − α·s⊙sign ∇)` projected to the L∞ ball of radius ε
/// around the clean image and to [0, 1], where s is the edge weighting (AdvEdge) or 1. Stage 1 descends
/// CE(f(x), y_t); stage 2 the joint loss with the schedule's c. Defaults: ε = 0.031, α = 1/255, no random start.
extension InterpreterAttack.Run {
    mutating func pgd() throws -> Tensor {
        let (eps, alpha) = (attack.eps, attack.alpha)
        var x = images
        for _ in 0..<attack.warmStartSteps {
            let (g, loss, _) = try AttackSupport.lossGradient(model, x, labels: targets, targets: targets)
            x = AttackSupport.projectLinf(SignStep.descend(x, g, alpha: alpha, mask: edgeMask), around: images, eps: eps)
            stepDone(loss)
        }
        warmStart = x
        for c in attack.jointSchedule {
            let (g, loss) = try jointGradient(x, c: c)
            x = AttackSupport.projectLinf(SignStep.descend(x, g, alpha: alpha, mask: stage2Mask), around: images, eps: eps)
            stepDone(loss)
            try consider(x)
        }
        return try finish(x)
    }
}
