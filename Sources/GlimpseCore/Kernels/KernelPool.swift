import Foundation
import Synchronization

/// The kernels' worker threads (one fewer than `glimpseThreadCount`; the caller is the other). Between jobs a worker
/// spins for up to 200 µs before it sleeps, so the back-to-back parallel loops of a forward or backward pass do not
/// each wait for a sleeping thread to wake up: through `DispatchQueue.concurrentPerform` a loop of two 20 µs halves
/// took 33–40 µs on the 2-core development VM, here 21 µs (`parallelFor` falls back to Dispatch when another thread's
/// loop holds the pool, e.g. nested loops or tests running in parallel).
///
/// A job is published by moving `generation`; every worker acknowledges it through `finished` once it no longer
/// touches the job's closure, and only then does `run` return, so the non-escaping body never outlives the call.
final class KernelPool: @unchecked Sendable {
    static let shared = KernelPool(workers: glimpseThreadCount - 1)

    private let workers: Int
    private let generation = Atomic<Int>(0)
    private let next = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let sleeping = Atomic<Int>(0)
    private let wake = DispatchSemaphore(value: 0)
    private let submit = NSLock()
    /// The running job; written only while no worker reads it (before `generation` moves, after all finished).
    private var body: ((Int) -> Void)?
    private var count = 0
    /// How long an idle worker spins before it sleeps.
    private let spinNanoseconds: UInt64 = 200_000

    init(workers: Int) {
        self.workers = workers
        for _ in 0..<workers {
            let thread = Thread { [unowned self] in self.work() }
            thread.stackSize = 1 << 22
            thread.start()
        }
    }

    /// Runs body(i) for i in 0..<n on the calling thread and the workers; false (nothing run) when the pool is busy
    /// with another caller's job.
    func run(_ n: Int, _ body: (Int) -> Void) -> Bool {
        guard workers > 0, submit.try() else { return false }
        defer { submit.unlock() }
        withoutActuallyEscaping(body) { body in
            self.body = body
            count = n
            next.store(0, ordering: .relaxed)
            finished.store(0, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)
            let asleep = sleeping.load(ordering: .sequentiallyConsistent)
            for _ in 0..<asleep { wake.signal() }
            claim(body, n)
            while finished.load(ordering: .acquiring) < workers {}
            self.body = nil
        }
        return true
    }

    private func claim(_ body: (Int) -> Void, _ n: Int) {
        while true {
            let i = next.add(1, ordering: .relaxed).oldValue
            if i >= n { return }
            body(i)
        }
    }

    private func work() {
        var seen = 0
        while true {
            var spins = 0
            var start: UInt64 = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins & 63 == 0 {
                    let now = DispatchTime.now().uptimeNanoseconds
                    if start == 0 { start = now } else if now - start > spinNanoseconds {
                        sleeping.add(1, ordering: .sequentiallyConsistent)
                        if generation.load(ordering: .sequentiallyConsistent) == seen { wake.wait() }
                        sleeping.subtract(1, ordering: .sequentiallyConsistent)
                        start = 0
                    }
                }
            }
            seen = generation.load(ordering: .acquiring)
            claimCurrent()
            finished.add(1, ordering: .releasing)
        }
    }

    private func claimCurrent() {
        guard let body else { return }
        claim(body, count)
    }
}
