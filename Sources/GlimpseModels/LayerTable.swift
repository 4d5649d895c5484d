/// A network's named layers in execution order, with each layer's kind (the PyTorch module's class name) and the
/// number of parameters it owns directly; a model's initializer notes every layer as it builds it.
struct LayerTable: Sendable {
    private(set) var paths: [String] = []
    private var kinds: [String: String] = [:]
    private var parameters: [String: Int] = [:]

    /// Appends a layer.
    mutating func note(_ path: String, _ kind: String, _ parameterCount: Int = 0) {
        paths.append(path); kinds[path] = kind; parameters[path] = parameterCount
    }

    func kind(of path: String) -> String { kinds[path] ?? "" }
    func parameterCount(of path: String) -> Int { parameters[path] ?? 0 }
}
