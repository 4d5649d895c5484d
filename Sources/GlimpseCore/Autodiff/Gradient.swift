/// Reverse-mode differentiation of `y` with respect to each tensor of `xs`.
///
/// - `xs` may be leaves (`requiringGradient()`) or any intermediate tensor that `y` was computed
///   from (a hidden layer's activation, for example): the graph is walked only back to them.
/// - `seed` is the gradient of the final quantity with respect to `y` (default: ones, i.e. the
///   gradient of `sum(y)`).
/// - With `createGraph`, the backward pass is itself recorded, so the returned gradients can be
///   differentiated again (double backward).
/// Gradients of tensors that `y` does not depend on are zeros.
public func gradient(of y: Tensor, wrt xs: [Tensor], seed: Tensor? = nil, createGraph: Bool = false) throws -> [Tensor] {
    guard let root = y.node else {
        throw TensorError.notDifferentiable("gradient(of:wrt:): the output does not depend on any tracked tensor (call requiringGradient() on an input first)")
    }
    let targets = xs.map { x -> GradNode in
        x.node ?? GradNode(shape: x.shape, inputs: [], pullback: nil)
    }
    let targetIDs = Set(targets.map(\.id))
    if let seed, seed.shape != y.shape {
        throw TensorError.shapeMismatch("gradient seed", expected: y.shape, found: seed.shape)
    }

    // Nodes between the root and the targets: those from which a target can be reached.
    var leadsToTarget: [UInt64: Bool] = [:]
    var order: [GradNode] = []
    var stack: [(GradNode, Bool)] = [(root, false)]
    while let (node, expanded) = stack.popLast() {
        if expanded {
            var reaches = targetIDs.contains(node.id)
            if !reaches { reaches = node.inputs.contains { leadsToTarget[$0.id] == true } }
            leadsToTarget[node.id] = reaches
            if reaches { order.append(node) }
            continue
        }
        if leadsToTarget[node.id] != nil { continue }
        leadsToTarget[node.id] = false
        stack.append((node, true))
        for input in node.inputs where leadsToTarget[input.id] == nil { stack.append((input, false)) }
    }
    // Node ids grow in creation order, so descending ids is a reverse topological order.
    order.sort { $0.id > $1.id }

    var grads: [UInt64: Tensor] = [:]
    try withRecording(createGraph) {
        grads[root.id] = seed ?? Tensor(repeating: 1, shape: y.shape)
        for node in order {
            guard let g = grads[node.id], let pullback = node.pullback,
                  node.inputs.contains(where: { leadsToTarget[$0.id] == true }) else { continue }
            let inputGrads = try pullback(g)
            for (input, ig) in zip(node.inputs, inputGrads) {
                guard let ig, leadsToTarget[input.id] == true else { continue }
                if let existing = grads[input.id] {
                    grads[input.id] = try existing + ig
                } else {
                    grads[input.id] = ig
                }
            }
            if !createGraph && !targetIDs.contains(node.id) { grads[node.id] = nil }
        }
    }
    return zip(xs, targets).map { x, t in
        let g = grads[t.id] ?? Tensor(zeros: x.shape)
        return createGraph ? g : g.detached()
    }
}
