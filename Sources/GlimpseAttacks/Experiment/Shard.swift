/// One slice K of N of an experiment's jobs (job i belongs to shard i mod N), so that a large run spreads over
/// many machines; each shard writes its own results file and the report merges them.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public static let whole = Shard(uncheckedIndex: 0, count: 1)

    private init(uncheckedIndex: Int, count: Int) {
        index = uncheckedIndex
        self.count = count
    }

    public init(index: Int, count: Int) throws {
        guard count >= 1, (0..<count).contains(index) else {
            throw AttackError.badParameter("shard \(index)/\(count): need 0 ≤ K < N")
        }
        self.index = index
        self.count = count
    }

    /// Parses "K/N" (K from 0).
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw AttackError.badParameter("--shard takes K/N with 0 ≤ K < N, found '\(text)'")
        }
        try self.init(index: k, count: n)
    }

    /// The shard given by a job scheduler's environment: a SLURM job array (`SLURM_ARRAY_TASK_ID` minus
    /// `SLURM_ARRAY_TASK_MIN`, of `SLURM_ARRAY_TASK_COUNT`) or a Kubernetes indexed Job (`JOB_COMPLETION_INDEX`, of
    /// `GLIMPSE_SHARDS`, to be set to the Job's completions). Nil when neither is present.
    public static func fromEnvironment(_ env: [String: String]) throws -> Shard? {
        if let id = env["SLURM_ARRAY_TASK_ID"].flatMap(Int.init), let n = env["SLURM_ARRAY_TASK_COUNT"].flatMap(Int.init) {
            let low = env["SLURM_ARRAY_TASK_MIN"].flatMap(Int.init) ?? 0
            return try Shard(index: id - low, count: n)
        }
        if let k = env["JOB_COMPLETION_INDEX"].flatMap(Int.init) {
            guard let n = env["GLIMPSE_SHARDS"].flatMap(Int.init) else {
                throw AttackError.badParameter("JOB_COMPLETION_INDEX is set but GLIMPSE_SHARDS (the number of completions) is not")
            }
            return try Shard(index: k, count: n)
        }
        return nil
    }

    public func contains(job: Int) -> Bool { job % count == index }

    /// The results file of this shard: the experiment's file itself, or `<stem>.shard-K-of-N.jsonl`.
    public func resultsPath(_ output: String) -> String {
        guard count > 1 else { return output }
        let stem = output.hasSuffix(".jsonl") ? String(output.dropLast(6)) : output
        return "\(stem).shard-\(index)-of-\(count).jsonl"
    }

    public var description: String { "\(index)/\(count)" }
}
