/// Errors raised while reading data sets, training, checkpointing or resuming.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// A gzip stream could not be decompressed (corrupt, truncated or not gzip).
    case corruptGzip(String)
    /// An IDX file's header or length is wrong.
    case malformedIDX(String)
    /// A data set is missing or empty.
    case dataset(String)
    /// A training setting is out of range.
    case invalidSetting(String)
    /// A checkpoint or training state cannot be used.
    case checkpoint(String)
    /// The loss became NaN or infinite.
    case diverged(step: Int)

    public var description: String {
        switch self {
        case let .corruptGzip(m): return "corrupt gzip data: \(m)"
        case let .malformedIDX(m): return "malformed IDX file: \(m)"
        case let .dataset(m): return m
        case let .invalidSetting(m): return "invalid training setting: \(m)"
        case let .checkpoint(m): return "checkpoint: \(m)"
        case let .diverged(step): return "training diverged (non-finite loss) at step \(step)"
        }
    }
}
