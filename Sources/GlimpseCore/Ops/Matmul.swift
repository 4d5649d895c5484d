extension Tensor {
    /// Matrix product `op(a) · op(b)` of rank-2 tensors, or batched over a shared first axis for rank 3.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) throws -> Tensor {
        guard (a.rank == 2 && b.rank == 2) || (a.rank == 3 && b.rank == 3 && a.shape[0] == b.shape[0]) else {
            throw TensorError.incompatibleShapes("matmul", a.shape, b.shape)
        }
        let batched = a.rank == 3
        let batch = batched ? a.shape[0] : 1
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = transposeA ? (ac, ar) : (ar, ac)
        let (k2, n) = transposeB ? (bc, br) : (br, bc)
        guard k == k2 else { throw TensorError.incompatibleShapes("matmul (inner dimensions \(k) and \(k2))", a.shape, b.shape) }
        let outShape = batched ? [batch, m, n] : [m, n]
        let pa = a.storage.pointer, pb = b.storage.pointer
        let r = Tensor(shape: outShape) { out, _ in
            for i in 0..<batch {
                gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k,
                     a: pa + i * ar * ac, lda: ac, b: pb + i * br * bc, ldb: bc,
                     beta: 0, c: out + i * m * n, ldc: n)
            }
        }
        return recorded(r, inputs: [a, b]) { g in
            let ga: Tensor?, gb: Tensor?
            switch (transposeA, transposeB) {
            case (false, false):
                ga = a.node == nil ? nil : try matmul(g, b, transposeB: true)
                gb = b.node == nil ? nil : try matmul(a, g, transposeA: true)
            case (true, false):
                ga = a.node == nil ? nil : try matmul(b, g, transposeB: true)
                gb = b.node == nil ? nil : try matmul(a, g)
            case (false, true):
                ga = a.node == nil ? nil : try matmul(g, b)
                gb = b.node == nil ? nil : try matmul(g, a, transposeA: true)
            case (true, true):
                ga = a.node == nil ? nil : try matmul(b, g, transposeA: true, transposeB: true)
                gb = b.node == nil ? nil : try matmul(g, a, transposeA: true, transposeB: true)
            }
            return [ga, gb]
        }
    }

    /// Fully connected layer: `x · Wᵀ + bias` for x [N, in], W [out, in], bias [out].
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
        guard x.rank == 2, weight.rank == 2, x.shape[1] == weight.shape[1] else {
            throw TensorError.incompatibleShapes("linear (input [N, in] vs weight [out, in])", x.shape, weight.shape)
        }
        let y = try matmul(x, weight, transposeB: true)
        guard let bias else { return y }
        try bias.checkShape([weight.shape[0]], "linear bias")
        return try y + bias
    }
}
