/// Errors raised while reading or writing tensor files. Each names the file part, key or position involved.
public enum FormatError: Error, Equatable, CustomStringConvertible {
    case truncated(String, needed: Int, available: Int)
    case badMagic(String)
    case unknownOpcode(UInt8, offset: Int)
    case unknownGlobal(String)
    case malformed(String)
    case missingKey(String)
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    case unsupported(String)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .truncated(what, needed, available):
            return "truncated file: \(what) needs \(needed) bytes, only \(available) available"
        case let .badMagic(what):
            return "not a \(what) file (wrong magic number or header)"
        case let .unknownOpcode(op, offset):
            return "unsupported pickle opcode 0x\(String(op, radix: 16)) at byte \(offset)"
        case let .unknownGlobal(name):
            return "checkpoint refers to '\(name)', which a state dict does not need (refusing to interpret it)"
        case let .malformed(message):
            return "malformed file: \(message)"
        case let .missingKey(key):
            return "checkpoint has no tensor '\(key)'"
        case let .shapeMismatch(key, expected, found):
            return "tensor '\(key)' has shape \(found), expected \(expected)"
        case let .unsupported(message):
            return "unsupported: \(message)"
        case let .io(path, reason):
            return "cannot read \(path): \(reason)"
        }
    }
}
