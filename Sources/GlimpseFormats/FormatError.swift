/// Why a tensor file could not be read or written. Every case names the file part, key, opcode or position involved.
public enum FormatError: Error, CustomStringConvertible, Equatable {
    /// `what` needs `needed` bytes but only `available` remain.
    case truncated(what: String, needed: Int, available: Int)
    /// The file does not start like a `what` file.
    case badMagic(what: String, found: String)
    /// A pickle opcode outside the subset a state dict needs, at byte `offset` of the pickle stream.
    case unknownOpcode(UInt8, offset: Int)
    /// A pickle global (`module.name`) outside the allow-list.
    case unknownGlobal(String)
    /// A storage holds fewer bytes than its tensors need.
    case storageTooSmall(key: String, needed: Int, available: Int)
    /// A state dict has no tensor under `key`.
    case missingKey(String)
    /// The tensor at `key` has another shape than the caller expects.
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    /// A valid but unsupported feature (dtype, byte order, layout).
    case unsupported(String)
    /// Structurally invalid content.
    case malformed(String)
    /// The zip container of a checkpoint is unreadable.
    case corruptArchive(String)
    /// The file system refused a read or write.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .truncated(what, needed, available):
            return "truncated: \(what) needs \(needed) bytes, only \(available) available"
        case let .badMagic(what, found):
            return "not a \(what) file: it starts with \(found)"
        case let .unknownOpcode(op, offset):
            return "unsupported pickle opcode 0x\(String(op, radix: 16, uppercase: false)) at byte \(offset)"
        case let .unknownGlobal(name):
            return "pickle refers to '\(name)', which is not needed by a state dict (refused)"
        case let .storageTooSmall(key, needed, available):
            return "storage '\(key)' holds \(available) bytes, its tensors need \(needed)"
        case let .missingKey(key):
            return "no tensor named '\(key)'"
        case let .shapeMismatch(key, expected, found):
            return "tensor '\(key)' has shape \(found), expected \(expected)"
        case let .unsupported(message):
            return "unsupported: \(message)"
        case let .malformed(message):
            return "malformed: \(message)"
        case let .corruptArchive(message):
            return "corrupt zip archive: \(message)"
        case let .io(path, reason):
            return "\(path): \(reason)"
        }
    }
}
