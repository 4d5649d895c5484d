import COpenBLAS

/// Row-major single-precision GEMM, `C = alpha · op(A) · op(B) + beta · C`, on OpenBLAS with one thread per
/// call; large products are split across cores by columns (or rows when there are few columns).
/// Products with one row or one column go to SGEMV, which is about twice as fast there.
func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
          a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
          beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, split: Bool = true) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
        return
    }
    BLASSetup.once
    let ta = transA ? CblasTrans : CblasNoTrans
    let tb = transB ? CblasTrans : CblasNoTrans
    // Matrix-vector products stream the whole matrix once (a classifier's 1000×1280 weights: 5 MB): large ones are
    // split by output ranges across threads, each reading its part of the matrix.
    let vectorParts = split && m * n * k >= 1 << 18 ? glimpseThreadCount : 1
    if n == 1 {
        // C[m×1] = op(A) · op(B)[k×1]: B's column has stride ldb unless transposed. Rows lo..<hi of op(A) start at
        // row lo of A, or at its column lo when transposed.
        let incB = transB ? 1 : ldb
        nonisolated(unsafe) let (a, b, c) = (a, b, c)
        parallelBands(m, workPerItem: vectorParts > 1 ? 1 << 30 : 0) { rows, _ in
            cblas_sgemv(CblasRowMajor, ta, Int32(transA ? k : rows.count), Int32(transA ? rows.count : k), alpha,
                        transA ? a + rows.lowerBound : a + rows.lowerBound * lda, Int32(lda),
                        b, Int32(incB), beta, c + rows.lowerBound * ldc, Int32(ldc))
        }
        return
    }
    if m == 1 {
        // C[1×n] = op(A)[1×k] · op(B): computed as op(B)ᵀ · a, columns lo..<hi of op(B) at a time.
        let incA = transA ? lda : 1
        nonisolated(unsafe) let (a, b, c) = (a, b, c)
        parallelBands(n, workPerItem: vectorParts > 1 ? 1 << 30 : 0) { columns, _ in
            cblas_sgemv(CblasRowMajor, transB ? CblasNoTrans : CblasTrans, Int32(transB ? columns.count : k),
                        Int32(transB ? k : columns.count), alpha, transB ? b + columns.lowerBound * ldb : b + columns.lowerBound,
                        Int32(ldb), a, Int32(incA), beta, c + columns.lowerBound, 1)
        }
        return
    }
    let flops = 2 * m * n * k
    let parts = split && flops >= 1 << 22 ? glimpseThreadCount : 1
    if parts > 1 && n >= 64 * parts {
        nonisolated(unsafe) let (a, b, c) = (a, b, c)
        parallelFor(parts, workPerItem: 1 << 30) { p in
            let lo = p * n / parts, hi = (p + 1) * n / parts
            let bOff = transB ? lo * ldb : lo
            sgemm(ta, tb, m, hi - lo, k, alpha, a, lda, b + bOff, ldb, beta, c + lo, ldc)
        }
    } else if parts > 1 && m >= 16 * parts {
        nonisolated(unsafe) let (a, b, c) = (a, b, c)
        parallelFor(parts, workPerItem: 1 << 30) { p in
            let lo = p * m / parts, hi = (p + 1) * m / parts
            let aOff = transA ? lo : lo * lda
            sgemm(ta, tb, hi - lo, n, k, alpha, a + aOff, lda, b, ldb, beta, c + lo * ldc, ldc)
        }
    } else {
        sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}

/// Row-major `cblas_sgemm`, except that beta 0 clears C with vector stores and runs as beta 1: OpenBLAS's own
/// zeroing pass (sgemm_beta) stores one float at a time and took 8% of a forward + backward.
@inline(__always) private func sgemm(_ ta: CBLAS_TRANSPOSE, _ tb: CBLAS_TRANSPOSE, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                                     _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                                     _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    var beta = beta
    if beta == 0 {
        for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
        beta = 1
    }
    cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// One-time OpenBLAS configuration: a single thread per call (Glimpse owns the threads).
enum BLASSetup {
    static let once: Void = { openblas_set_num_threads(1) }()

    /// The OpenBLAS kernel family in use (e.g. "SkylakeX"; "Prescott" means the slow fallback,
    /// fixed by starting the process with OPENBLAS_CORETYPE set).
    static var coreName: String { String(cString: openblas_get_corename()) }
}

/// The OpenBLAS kernel family this process uses ("Prescott" means the slow generic fallback).
public var openBLASCoreName: String { BLASSetup.coreName }
