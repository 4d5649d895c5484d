import Foundation

/// Process start-up: OpenBLAS reads `OPENBLAS_CORETYPE` only when it loads, so on AVX-512 Intel CPUs (which
/// OpenBLAS 0.3.21 misdetects as a 3-4× slower SSE3 "Prescott") the CLI sets it and re-executes itself once.
/// It also pins OpenBLAS to one thread: Glimpse parallelises with Dispatch.
enum Launcher {
    /// Keeps freed tensor memory in the process: glibc maps allocations above its threshold (128 KB at first)
    /// straight from the kernel and unmaps them on free, so every large tensor paid fresh page faults. With a
    /// 32 MB threshold (glibc's maximum) and no trimming below 256 MB, a pass reuses the memory of the one before:
    /// Recipro-CAM's first call went from 39 to 30 ms, later calls from 26 to 23 ms.
    /// (`mallopt` is looked up at run time: Swift's Glibc module does not import malloc.h; −3 and −1 are glibc's
    /// M_MMAP_THRESHOLD and M_TRIM_THRESHOLD.)
    static func tuneAllocator() {
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(-3, 32 << 20)
        _ = mallopt(-1, 256 << 20)
    }

    static func prepareEnvironment() {
        let env = ProcessInfo.processInfo.environment
        var changed = false
        if env["OPENBLAS_NUM_THREADS"] == nil { setenv("OPENBLAS_NUM_THREADS", "1", 1); changed = true }
        if env["OPENBLAS_CORETYPE"] == nil, needsSkylakeX() { setenv("OPENBLAS_CORETYPE", "SkylakeX", 1); changed = true }
        guard changed, env["GLIMPSE_REEXEC"] == nil else { return }
        setenv("GLIMPSE_REEXEC", "1", 1)
        let args = CommandLine.arguments
        var cArgs = args.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &cArgs)
        // execv only returns on failure: carry on in this process.
    }

    private static func needsSkylakeX() -> Bool {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
        return info.contains("GenuineIntel") && info.contains(" avx512f")
    }
}
