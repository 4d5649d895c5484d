/// A value on the stack of the state-dict unpickler. Containers live in `Unpickler.objects` and are referred to by
/// index, so values never nest: hostile input cannot cause deep recursion, and memoised containers stay shared.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    /// A LONG1 integer wider than 8 bytes, as little-endian two's-complement bytes (the legacy magic number).
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    /// Index into `Unpickler.objects`.
    case object(Int)
    /// An allowed global, "module.name".
    case global(String)
    case storage(StorageRef)
    case tensor(TensorRef)
}

/// A container built by the unpickler.
enum PickleObject {
    case tuple([PickleValue])
    case list([PickleValue])
    /// Insertion-ordered (the keys of a state dict keep their file order).
    case dict([(key: PickleValue, value: PickleValue)])
}

/// An unpickler that knows only what a PyTorch state dict needs: protocol 2 opcodes (plus the protocol 4/5 framing,
/// string and memo opcodes), `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`,
/// `torch._utils._rebuild_parameter`, torch storage types and `BINPERSID` storage references.
/// Any other opcode or global is refused with a typed error, so loading never runs code.
struct Unpickler {
    private enum Opcode: UInt8 {
        case mark = 0x28, stop = 0x2E, binint = 0x4A, binint1 = 0x4B, binint2 = 0x4D, none = 0x4E, binpersid = 0x51
        case reduce = 0x52, binunicode = 0x58, emptyList = 0x5D, append = 0x61, build = 0x62, global = 0x63, dict = 0x64
        case appends = 0x65, binget = 0x68, longBinget = 0x6A, list = 0x6C, binput = 0x71, longBinput = 0x72
        case setitem = 0x73, tuple = 0x74, setitems = 0x75, emptyDict = 0x7D, emptyTuple = 0x29, binfloat = 0x47
        case proto = 0x80, tuple1 = 0x85, tuple2 = 0x86, tuple3 = 0x87, newtrue = 0x88, newfalse = 0x89, long1 = 0x8A
        case shortBinunicode = 0x8C, binunicode8 = 0x8D, stackGlobal = 0x93, memoize = 0x94, frame = 0x95
    }

    static let storageTypes: [String: ScalarType] = [
        "torch.FloatStorage": .float32, "torch.DoubleStorage": .float64, "torch.HalfStorage": .float16,
        "torch.BFloat16Storage": .bfloat16, "torch.LongStorage": .int64, "torch.IntStorage": .int32,
        "torch.ByteStorage": .uint8, "torch.CharStorage": .int8, "torch.BoolStorage": .bool,
        "torch.UntypedStorage": .uint8, "torch.storage.UntypedStorage": .uint8,
    ]
    private static let functions: Set<String> = [
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
    ]

    private var reader: ByteReader
    private(set) var objects: [PickleObject] = []
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    /// `what` names the stream in error messages.
    init(_ bytes: [UInt8], what: String) {
        reader = ByteReader(bytes, what: what)
    }

    /// Byte offset just past the last pickle loaded.
    var position: Int { reader.position }

    /// Runs one pickle, from the current position to its STOP, and returns its value.
    mutating func load() throws -> PickleValue {
        stack.removeAll()
        marks.removeAll()
        memo.removeAll()
        while true {
            let offset = reader.position
            let byte = try reader.byte()
            guard let op = Opcode(rawValue: byte) else { throw FormatError.unknownOpcode(byte, offset: offset) }
            switch op {
            case .proto:
                let version = try reader.byte()
                guard version <= 5 else { throw FormatError.unsupported("pickle protocol \(version) at byte \(offset)") }
            case .frame: _ = try reader.uint(8)
            case .stop:
                guard stack.count == 1, marks.isEmpty, let result = stack.last else {
                    throw FormatError.malformed("\(reader.what): pickle stops with \(stack.count) values on its stack at byte \(offset)")
                }
                return result
            case .mark: marks.append(stack.count)
            case .none: stack.append(.none)
            case .newtrue: stack.append(.bool(true))
            case .newfalse: stack.append(.bool(false))
            case .binint1: stack.append(.int(Int64(try reader.byte())))
            case .binint2: stack.append(.int(Int64(try reader.uint(2))))
            case .binint: stack.append(.int(Int64(Int32(truncatingIfNeeded: try reader.uint(4)))))
            case .long1: stack.append(try long(Int(try reader.byte())))
            case .binfloat:  // big-endian IEEE double
                stack.append(.float(Double(bitPattern: try reader.take(8).reduce(0) { $0 << 8 | UInt64($1) })))
            case .binunicode: stack.append(.string(try text(try reader.length(4))))
            case .shortBinunicode: stack.append(.string(try text(try reader.length(1))))
            case .binunicode8: stack.append(.string(try text(try reader.length(8))))
            case .emptyTuple: stack.append(make(.tuple([])))
            case .emptyList: stack.append(make(.list([])))
            case .emptyDict: stack.append(make(.dict([])))
            case .tuple1: let a = try pop(); stack.append(make(.tuple([a])))
            case .tuple2: let b = try pop(), a = try pop(); stack.append(make(.tuple([a, b])))
            case .tuple3: let c = try pop(), b = try pop(), a = try pop(); stack.append(make(.tuple([a, b, c])))
            case .tuple: stack.append(make(.tuple(try popToMark())))
            case .list: stack.append(make(.list(try popToMark())))
            case .dict: stack.append(make(.dict(try pairs(try popToMark(), at: offset))))
            case .append: let v = try pop(); try append([v], at: offset)
            case .appends: try append(try popToMark(), at: offset)
            case .setitem: let v = try pop(), k = try pop(); try setItems([(k, v)], at: offset)
            case .setitems: try setItems(try pairs(try popToMark(), at: offset), at: offset)
            case .binput: memo[Int(try reader.byte())] = try top(at: offset)
            case .longBinput: memo[Int(try reader.uint(4))] = try top(at: offset)
            case .memoize: memo[memo.count] = try top(at: offset)
            case .binget: stack.append(try memoised(Int(try reader.byte()), at: offset))
            case .longBinget: stack.append(try memoised(Int(try reader.uint(4)), at: offset))
            case .global:
                let module = try line(), name = try line()
                stack.append(try global("\(module).\(name)"))
            case .stackGlobal:
                let name = try pop(), module = try pop()
                guard case let .string(m) = module, case let .string(n) = name else {
                    throw FormatError.malformed("\(reader.what): STACK_GLOBAL without two strings at byte \(offset)")
                }
                stack.append(try global("\(m).\(n)"))
            case .binpersid: stack.append(try persistentLoad(try pop(), at: offset))
            case .reduce:
                let args = try pop(), callable = try pop()
                stack.append(try reduce(callable, args, at: offset))
            case .build:  // object state, e.g. the `_metadata` of a state dict: not needed, ignored
                _ = try pop()
                _ = try top(at: offset)
            }
        }
    }

    /// Elements of a tuple or list.
    func items(_ value: PickleValue) -> [PickleValue]? {
        guard case let .object(i) = value, objects.indices.contains(i) else { return nil }
        switch objects[i] {
        case let .tuple(items), let .list(items): return items
        case .dict: return nil
        }
    }

    /// Entries of a dict, in insertion order.
    func entries(_ value: PickleValue) -> [(key: PickleValue, value: PickleValue)]? {
        guard case let .object(i) = value, objects.indices.contains(i), case let .dict(entries) = objects[i] else { return nil }
        return entries
    }

    // MARK: - Stack

    private mutating func make(_ object: PickleObject) -> PickleValue {
        objects.append(object)
        return .object(objects.count - 1)
    }

    private mutating func pop() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.popLast() else {
            throw FormatError.malformed("\(reader.what): pickle stack underflow at byte \(reader.position)")
        }
        return value
    }

    private func top(at offset: Int) throws -> PickleValue {
        guard let value = stack.last else { throw FormatError.malformed("\(reader.what): empty pickle stack at byte \(offset)") }
        return value
    }

    private mutating func popToMark() throws -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else {
            throw FormatError.malformed("\(reader.what): no MARK on the pickle stack at byte \(reader.position)")
        }
        let values = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return values
    }

    private func pairs(_ values: [PickleValue], at offset: Int) throws -> [(key: PickleValue, value: PickleValue)] {
        guard values.count % 2 == 0 else {
            throw FormatError.malformed("\(reader.what): odd number of dict items at byte \(offset)")
        }
        return stride(from: 0, to: values.count, by: 2).map { (key: values[$0], value: values[$0 + 1]) }
    }

    private func memoised(_ index: Int, at offset: Int) throws -> PickleValue {
        guard let value = memo[index] else { throw FormatError.malformed("\(reader.what): memo entry \(index) missing at byte \(offset)") }
        return value
    }

    /// Appends to the list on top of the stack.
    private mutating func append(_ values: [PickleValue], at offset: Int) throws {
        guard case let .object(i) = try top(at: offset), objects.indices.contains(i), case var .list(items) = objects[i] else {
            throw FormatError.malformed("\(reader.what): APPEND to something that is not a list at byte \(offset)")
        }
        objects[i] = .tuple([])  // drop the second reference so that `items` is extended in place
        items.append(contentsOf: values)
        objects[i] = .list(items)
    }

    /// Adds entries to the dict on top of the stack.
    private mutating func setItems(_ new: [(key: PickleValue, value: PickleValue)], at offset: Int) throws {
        guard case let .object(i) = try top(at: offset), objects.indices.contains(i), case var .dict(entries) = objects[i] else {
            throw FormatError.malformed("\(reader.what): SETITEM on something that is not a dict at byte \(offset)")
        }
        objects[i] = .tuple([])
        entries.append(contentsOf: new)
        objects[i] = .dict(entries)
    }

    // MARK: - Operands

    private mutating func text(_ count: Int) throws -> String {
        String(decoding: try reader.take(count), as: UTF8.self)
    }

    /// A newline-terminated name of a GLOBAL opcode.
    private mutating func line() throws -> String {
        var chars: [UInt8] = []
        while true {
            let b = try reader.byte()
            if b == 0x0A { return String(decoding: chars, as: UTF8.self) }
            chars.append(b)
            guard chars.count <= 256 else {
                throw FormatError.malformed("\(reader.what): GLOBAL name longer than 256 bytes at byte \(reader.position)")
            }
        }
    }

    /// A LONG1 integer of `size` little-endian two's-complement bytes.
    private mutating func long(_ size: Int) throws -> PickleValue {
        guard size <= 8 else { return .bigInt(Array(try reader.take(size))) }
        guard size > 0 else { return .int(0) }
        let shift = UInt64(64 - 8 * size)
        return .int(Int64(bitPattern: try reader.uint(size) << shift) >> Int64(shift))
    }

    private func global(_ name: String) throws -> PickleValue {
        guard Self.functions.contains(name) || Self.storageTypes[name] != nil else { throw FormatError.unknownGlobal(name) }
        return .global(name)
    }

    // MARK: - Torch objects

    /// A storage reference `('storage', StorageType, key, location, numel)`, with a sixth element `None` in legacy files.
    private func persistentLoad(_ pid: PickleValue, at offset: Int) throws -> PickleValue {
        guard let t = items(pid), t.count == 5 || t.count == 6, case .string("storage") = t[0] else {
            throw FormatError.malformed("\(reader.what): persistent id at byte \(offset) is not a storage reference")
        }
        guard case let .global(typeName) = t[1], let type = Self.storageTypes[typeName] else {
            throw FormatError.malformed("\(reader.what): storage reference at byte \(offset) has no storage type")
        }
        guard case let .string(key) = t[2], case .string = t[3], case let .int(numel) = t[4], numel >= 0,
              let count = Int(exactly: numel) else {
            throw FormatError.malformed("\(reader.what): storage reference at byte \(offset) lacks key, location or size")
        }
        if t.count == 6 {
            guard case .none = t[5] else {
                throw FormatError.unsupported("\(reader.what): storage views (legacy view metadata) at byte \(offset)")
            }
        }
        return .storage(StorageRef(key: key, type: type, count: count))
    }

    private mutating func reduce(_ callable: PickleValue, _ args: PickleValue, at offset: Int) throws -> PickleValue {
        guard case let .global(name) = callable, let a = items(args) else {
            throw FormatError.malformed("\(reader.what): REDUCE without a global and an argument tuple at byte \(offset)")
        }
        switch name {
        case "collections.OrderedDict":
            guard a.isEmpty else { throw FormatError.unsupported("\(reader.what): OrderedDict built from arguments at byte \(offset)") }
            return make(.dict([]))
        case "torch._utils._rebuild_tensor_v2":
            guard a.count >= 4, case let .storage(storage) = a[0], case let .int(start) = a[1], let storageOffset = Int(exactly: start),
                  let shape = ints(a[2]), let strides = ints(a[3]), shape.count == strides.count else {
                throw FormatError.malformed("\(reader.what): bad _rebuild_tensor_v2 arguments at byte \(offset)")
            }
            return .tensor(TensorRef(storage: storage, offset: storageOffset, shape: shape, strides: strides))
        case "torch._utils._rebuild_parameter":
            guard let first = a.first, case .tensor = first else {
                throw FormatError.malformed("\(reader.what): _rebuild_parameter without a tensor at byte \(offset)")
            }
            return first
        default:
            throw FormatError.malformed("\(reader.what): '\(name)' is not callable (byte \(offset))")
        }
    }

    /// A tuple of integers, e.g. a size or stride.
    private func ints(_ value: PickleValue) -> [Int]? {
        guard let values = items(value) else { return nil }
        var result: [Int] = []
        for v in values {
            guard case let .int(i) = v, let n = Int(exactly: i) else { return nil }
            result.append(n)
        }
        return result
    }
}
