import Foundation

/// Number of worker threads Glimpse uses for kernels (the machine's cores, at most 8).
/// OpenBLAS itself stays single-threaded; Glimpse splits work over its own `KernelPool` (Dispatch as a fallback).
public let glimpseThreadCount: Int = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))

/// Runs `body(i)` for i in 0..<n on up to `glimpseThreadCount` threads when there is enough work
/// (`workPerItem` in rough floating-point operations); serially otherwise.
@inline(__always) func parallelFor(_ n: Int, workPerItem: Int = 1 << 20, _ body: (Int) -> Void) {
    if n <= 1 || glimpseThreadCount == 1 || n * workPerItem < 1 << 18 {
        for i in 0..<n { body(i) }
        return
    }
    if KernelPool.shared.run(n, body) { return }
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let work = body
        DispatchQueue.concurrentPerform(iterations: n) { i in work(i) }
    }
}

/// Splits 0..<n into `parts` contiguous chunks and runs them in parallel.
@inline(__always) func parallelChunks(_ n: Int, parts: Int = glimpseThreadCount, workPerItem: Int,
                                      _ body: (Range<Int>) -> Void) {
    let p = max(1, min(parts, n))
    if p == 1 || n * workPerItem < 1 << 20 { body(0..<n); return }
    parallelFor(p, workPerItem: n * workPerItem / p) { c in
        let lo = c * n / p, hi = (c + 1) * n / p
        if lo < hi { body(lo..<hi) }
    }
}

/// Runs an element-wise loop over 0..<n, split across threads when the arrays are large (≥ 128 K elements, where
/// one core's memory bandwidth is the limit), in chunks aligned to 16 elements.
@inline(__always) func parallelElements(_ n: Int, _ body: (Range<Int>) -> Void) {
    let parts = glimpseThreadCount
    if parts == 1 || n < 1 << 17 { body(0..<n); return }
    parallelFor(parts, workPerItem: 1 << 30) { p in
        let lo = (p * n / parts) & ~15, hi = p == parts - 1 ? n : ((p + 1) * n / parts) & ~15
        if lo < hi { body(lo..<hi) }
    }
}

/// How many bands `parallelBands` splits 0..<n into: one per kernel thread when `n · workPerItem` (rough
/// floating-point operations) is large enough, else 1. Depends only on n, the work and the thread count.
public func parallelBandCount(_ n: Int, workPerItem: Int) -> Int {
    let parts = max(1, min(glimpseThreadCount, n))
    return parts == 1 || n * workPerItem < 1 << 18 ? 1 : parts
}

/// Runs `body(band, index)` on `parallelBandCount(n, workPerItem:)` contiguous bands of 0..<n in parallel (one
/// band: on the calling thread); for kernels and for loops outside the engine (resampling).
public func parallelBands(_ n: Int, workPerItem: Int, _ body: (Range<Int>, Int) -> Void) {
    let parts = parallelBandCount(n, workPerItem: workPerItem)
    if parts == 1 { body(0..<n, 0); return }
    parallelFor(parts, workPerItem: 1 << 30) { p in body((p * n / parts)..<((p + 1) * n / parts), p) }
}
