import Foundation

/// A value on the stack of the restricted unpickler.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list([PickleValue])
    case dict([(PickleValue, PickleValue)])
    case global(String)
    case storage(StorageRef)
    case tensor(TensorRef)
    case mark
    /// The legacy checkpoint magic number 0x1950a86a20f9469cfc6c (too large for Int64).
    case magic

    var int: Int? { if case let .int(v) = self, let i = Int(exactly: v) { return i } else { return nil } }
    var string: String? { if case let .string(s) = self { return s } else { return nil } }
    var items: [PickleValue]? {
        switch self {
        case let .tuple(v), let .list(v): return v
        default: return nil
        }
    }
}

/// A storage referenced by a persistent id: its key, element type and element count.
struct StorageRef {
    let key: String
    let type: ScalarType
    let count: Int
}

/// A tensor rebuilt by `torch._utils._rebuild_tensor_v2`: a strided view of a storage.
struct TensorRef {
    let storage: StorageRef
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}

/// An unpickler that knows only what a PyTorch state dict needs: containers, numbers and strings,
/// `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2` / `_rebuild_parameter` and the storage types.
/// Anything else (in particular arbitrary callables) is refused with a typed error, so loading a checkpoint
/// never executes code.
struct PickleMachine {
    static let storageTypes: [String: ScalarType] = [
        "torch.FloatStorage": .float32, "torch.DoubleStorage": .float64, "torch.HalfStorage": .float16,
        "torch.BFloat16Storage": .bfloat16, "torch.LongStorage": .int64, "torch.IntStorage": .int32,
        "torch.ByteStorage": .uint8, "torch.CharStorage": .int8, "torch.BoolStorage": .bool,
    ]
    static let allowedGlobals: Set<String> = Set(storageTypes.keys).union([
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
    ])

    var reader: ByteReader
    private var stack: [PickleValue] = []
    private var memo: [Int: PickleValue] = [:]

    init(_ bytes: [UInt8], at position: Int = 0, what: String) {
        reader = ByteReader(bytes, what: what, position: position)
    }

    /// Runs until STOP and returns the result; `reader.position` is then just past the pickle.
    mutating func load() throws -> PickleValue {
        stack.removeAll()
        memo.removeAll()
        while true {
            let offset = reader.position
            let op = try reader.byte()
            switch op {
            case 0x80: _ = try reader.byte()                                   // PROTO
            case 0x95: _ = try reader.uint(8)                                  // FRAME
            case 0x2e:                                                         // STOP
                guard stack.count == 1 else { throw FormatError.malformed("pickle ends with \(stack.count) values on its stack") }
                return stack[0]
            case 0x28: stack.append(.mark)                                     // MARK
            case 0x7d: stack.append(.dict([]))                                 // EMPTY_DICT
            case 0x5d: stack.append(.list([]))                                 // EMPTY_LIST
            case 0x29: stack.append(.tuple([]))                                // EMPTY_TUPLE
            case 0x4e: stack.append(.none)                                     // NONE
            case 0x88: stack.append(.bool(true))                               // NEWTRUE
            case 0x89: stack.append(.bool(false))                              // NEWFALSE
            case 0x4b: stack.append(.int(Int64(try reader.byte())))            // BININT1
            case 0x4d: stack.append(.int(Int64(try reader.uint(2))))           // BININT2
            case 0x4a: stack.append(.int(Int64(Int32(truncatingIfNeeded: try reader.uint(4)))))   // BININT
            case 0x8a:                                                         // LONG1
                let n = Int(try reader.byte())
                if n == 10 {
                    let b = Array(try reader.take(10))
                    guard b == [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19] else {
                        throw FormatError.unsupported("10-byte integer at byte \(offset)")
                    }
                    stack.append(.magic)
                    continue
                }
                guard n <= 8 else { throw FormatError.unsupported("integer of \(n) bytes at byte \(offset)") }
                let raw = try reader.uint(n)
                let shift = UInt64(64 - 8 * n)
                stack.append(.int(n == 0 ? 0 : Int64(bitPattern: raw << shift) >> Int64(shift)))
            case 0x47:                                                         // BINFLOAT (big-endian)
                let b = try reader.take(8)
                stack.append(.float(Double(bitPattern: b.reduce(0) { $0 << 8 | UInt64($1) })))
            case 0x58: stack.append(.string(try text(Int(try reader.uint(4)))))   // BINUNICODE
            case 0x8c: stack.append(.string(try text(Int(try reader.byte()))))    // SHORT_BINUNICODE
            case 0x8d: stack.append(.string(try text(try length(reader.uint(8)))))  // BINUNICODE8
            case 0x54: stack.append(.string(try text(Int(try reader.uint(4)))))   // BINSTRING
            case 0x55: stack.append(.string(try text(Int(try reader.byte()))))    // SHORT_BINSTRING
            case 0x43: stack.append(.bytes(Array(try reader.take(Int(try reader.byte())))))   // SHORT_BINBYTES
            case 0x42: stack.append(.bytes(Array(try reader.take(Int(try reader.uint(4))))))  // BINBYTES
            case 0x63:                                                         // GLOBAL
                let module = try line(), name = try line()
                stack.append(try global("\(module).\(name)"))
            case 0x93:                                                         // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard let m = module.string, let n = name.string else { throw FormatError.malformed("STACK_GLOBAL without strings at byte \(offset)") }
                stack.append(try global("\(m).\(n)"))
            case 0x71: memo[Int(try reader.byte())] = try top()                 // BINPUT
            case 0x72: memo[Int(try reader.uint(4))] = try top()               // LONG_BINPUT
            case 0x94: memo[memo.count] = try top()                            // MEMOIZE
            case 0x68, 0x6a:                                                   // BINGET, LONG_BINGET
                let index = op == 0x68 ? Int(try reader.byte()) : Int(try reader.uint(4))
                guard let v = memo[index] else { throw FormatError.malformed("memo entry \(index) missing at byte \(offset)") }
                stack.append(v)
            case 0x85: stack.append(.tuple([try pop()]))                       // TUPLE1
            case 0x86: let b = try pop(), a = try pop(); stack.append(.tuple([a, b]))   // TUPLE2
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); stack.append(.tuple([a, b, c]))   // TUPLE3
            case 0x74: stack.append(.tuple(try popToMark()))                   // TUPLE
            case 0x6c: stack.append(.list(try popToMark()))                    // LIST
            case 0x64: stack.append(.dict(try pairs(try popToMark())))         // DICT
            case 0x61:                                                         // APPEND
                let v = try pop()
                guard case let .list(items) = try pop() else { throw FormatError.malformed("APPEND to a non-list at byte \(offset)") }
                stack.append(.list(items + [v]))
            case 0x65:                                                         // APPENDS
                let values = try popToMark()
                guard case let .list(items) = try pop() else { throw FormatError.malformed("APPENDS to a non-list at byte \(offset)") }
                stack.append(.list(items + values))
            case 0x73:                                                         // SETITEM
                let v = try pop(), k = try pop()
                guard case let .dict(items) = try pop() else { throw FormatError.malformed("SETITEM on a non-dict at byte \(offset)") }
                stack.append(.dict(items + [(k, v)]))
            case 0x75:                                                         // SETITEMS
                let kv = try pairs(try popToMark())
                guard case let .dict(items) = try pop() else { throw FormatError.malformed("SETITEMS on a non-dict at byte \(offset)") }
                stack.append(.dict(items + kv))
            case 0x51:                                                         // BINPERSID
                stack.append(try persistent(try pop()))
            case 0x52:                                                         // REDUCE
                let args = try pop(), callable = try pop()
                stack.append(try reduce(callable, args))
            case 0x62:                                                         // BUILD: state of an object; state dicts' _metadata is ignored
                _ = try pop()
                guard !stack.isEmpty else { throw FormatError.malformed("BUILD on an empty stack at byte \(offset)") }
            default:
                throw FormatError.unknownOpcode(op, offset: offset)
            }
        }
    }

    private func length(_ v: UInt64) throws -> Int {
        guard v <= UInt64(reader.remaining) else { throw FormatError.truncated(reader.what, needed: Int(clamping: v), available: reader.remaining) }
        return Int(v)
    }

    private mutating func text(_ n: Int) throws -> String {
        String(decoding: try reader.take(n), as: UTF8.self)
    }

    private mutating func line() throws -> String {
        var chars: [UInt8] = []
        while true {
            let b = try reader.byte()
            if b == 0x0a { break }
            chars.append(b)
            if chars.count > 256 { throw FormatError.malformed("overlong GLOBAL name at byte \(reader.position)") }
        }
        return String(decoding: chars, as: UTF8.self)
    }

    private func global(_ name: String) throws -> PickleValue {
        guard Self.allowedGlobals.contains(name) else { throw FormatError.unknownGlobal(name) }
        return .global(name)
    }

    private mutating func pop() throws -> PickleValue {
        guard let v = stack.popLast() else { throw FormatError.malformed("pickle stack underflow at byte \(reader.position)") }
        if case .mark = v { throw FormatError.malformed("unexpected MARK at byte \(reader.position)") }
        return v
    }

    private func top() throws -> PickleValue {
        guard let v = stack.last else { throw FormatError.malformed("memoising an empty stack at byte \(reader.position)") }
        return v
    }

    private mutating func popToMark() throws -> [PickleValue] {
        guard let i = stack.lastIndex(where: { if case .mark = $0 { return true } else { return false } }) else {
            throw FormatError.malformed("no MARK on the pickle stack at byte \(reader.position)")
        }
        let items = Array(stack[(i + 1)...])
        stack.removeSubrange(i...)
        return items
    }

    private func pairs(_ items: [PickleValue]) throws -> [(PickleValue, PickleValue)] {
        guard items.count % 2 == 0 else { throw FormatError.malformed("odd number of dict items") }
        return stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }
    }

    /// `('storage', StorageType, key, location, numel[, view_metadata])`.
    private func persistent(_ pid: PickleValue) throws -> PickleValue {
        guard let t = pid.items, t.count >= 5, t[0].string == "storage", case let .global(typeName) = t[1],
              let type = Self.storageTypes[typeName], let key = t[2].string, let count = t[4].int, count >= 0 else {
            throw FormatError.malformed("unsupported persistent id (expected a torch storage)")
        }
        return .storage(StorageRef(key: key, type: type, count: count))
    }

    private func reduce(_ callable: PickleValue, _ args: PickleValue) throws -> PickleValue {
        guard case let .global(name) = callable, let a = args.items else {
            throw FormatError.malformed("REDUCE of something that is not an allowed global")
        }
        switch name {
        case "collections.OrderedDict":
            return .dict([])
        case "torch._utils._rebuild_tensor_v2":
            guard a.count >= 4, case let .storage(storage) = a[0], let offset = a[1].int, offset >= 0,
                  let shape = a[2].items?.compactMap(\.int), let strides = a[3].items?.compactMap(\.int),
                  shape.count == a[2].items?.count, strides.count == shape.count else {
                throw FormatError.malformed("bad _rebuild_tensor_v2 arguments")
            }
            return .tensor(TensorRef(storage: storage, offset: offset, shape: shape, strides: strides))
        case "torch._utils._rebuild_parameter":
            guard let first = a.first, case .tensor = first else { throw FormatError.malformed("bad _rebuild_parameter arguments") }
            return first
        default:
            throw FormatError.unknownGlobal(name)
        }
    }
}

/// Materialises the tensors of an unpickled state dict from raw storage bytes.
enum StateDictBuilder {
    /// `storage(key)` returns the bytes of a storage (little-endian elements).
    static func build(_ root: PickleValue, storage: (StorageRef) throws -> [UInt8]) throws -> StateDict {
        guard case let .dict(items) = root else { throw FormatError.malformed("the checkpoint is not a state dict (a dictionary of tensors)") }
        var cache: [String: [UInt8]] = [:]
        var dict = StateDict()
        for (k, v) in items {
            guard let key = k.string else { throw FormatError.malformed("state dict key is not a string") }
            guard case let .tensor(t) = v else { continue }   // non-tensor entries (e.g. nested metadata) are not weights
            let bytes: [UInt8]
            if let cached = cache[t.storage.key] { bytes = cached } else {
                bytes = try storage(t.storage)
                cache[t.storage.key] = bytes
            }
            dict.set(key, try materialise(t, bytes, key: key))
        }
        return dict
    }

    static func materialise(_ t: TensorRef, _ bytes: [UInt8], key: String) throws -> StoredTensor {
        let type = t.storage.type
        guard let count = t.shape.checkedProduct else { throw FormatError.malformed("tensor '\(key)' has an invalid shape \(t.shape)") }
        let available = min(t.storage.count, bytes.count / type.size)
        if count == 0 { return StoredTensor(shape: t.shape, scalarType: type, values: []) }
        // Largest element index touched by the strided view.
        var last = t.offset
        for (d, s) in zip(t.shape, t.strides) {
            guard s >= 0 else { throw FormatError.unsupported("negative stride in tensor '\(key)'") }
            let (m, o1) = (d - 1).multipliedReportingOverflow(by: s)
            let (sum, o2) = last.addingReportingOverflow(m)
            guard !o1, !o2 else { throw FormatError.malformed("tensor '\(key)' view overflows") }
            last = sum
        }
        guard last < available else {
            throw FormatError.truncated("storage of tensor '\(key)'", needed: (last + 1) * type.size, available: available * type.size)
        }
        let contiguous = zip(t.shape, t.strides).reversed().reduce((true, 1)) { acc, ds in
            (acc.0 && (ds.0 == 1 || ds.1 == acc.1), acc.1 * ds.0)
        }.0
        let values: [Float] = bytes.withUnsafeBytes { raw in
            if contiguous { return type.decode(raw, offset: t.offset * type.size, count: count) }
            let all = type.decode(raw, offset: 0, count: last + 1)
            var out = [Float](repeating: 0, count: count)
            var index = [Int](repeating: 0, count: t.shape.count)
            for i in 0..<count {
                var src = t.offset
                for (j, s) in t.strides.enumerated() { src += index[j] * s }
                out[i] = all[src]
                var axis = t.shape.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    if index[axis] < t.shape[axis] { break }
                    index[axis] = 0
                    axis -= 1
                }
            }
            return out
        }
        return StoredTensor(shape: t.shape, scalarType: type, values: values)
    }
}
