import Foundation

/// Process start-up: OpenBLAS reads `OPENBLAS_CORETYPE` only when it loads, so on AVX-512 Intel CPUs (which
/// OpenBLAS 0.3.21 misdetects as a 3-4× slower SSE3 "Prescott") the CLI sets it and re-executes itself once.
/// It also pins OpenBLAS to one thread: Glimpse parallelises with Dispatch.
enum Launcher {
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
