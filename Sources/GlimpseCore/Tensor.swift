import Foundation

/// Heap buffer of Float32 values, 64-byte aligned, shared between tensors until one of them writes.
/// Large buffers are recycled through `BufferPool` (fresh pages cost a page fault per 4 KB).
public final class TensorStorage: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    /// Uninitialised storage of `count` floats.
    public init(count: Int) {
        self.count = count
        pointer = BufferPool.shared.take(count: count)
    }

    deinit { BufferPool.shared.give(pointer, count: count) }

    /// Packed GEMM copies of these values, made when a 1×1 convolution uses them as frozen weights.
    var packedWeights: PackedWeightCache {
        Self.packedLock.lock(); defer { Self.packedLock.unlock() }
        if let cache = packedCache { return cache }
        let cache = PackedWeightCache()
        packedCache = cache
        return cache
    }
    private var packedCache: PackedWeightCache?
    private static let packedLock = NSLock()

    /// Large buffers (>= 4096 floats) allocated from the system so far by the calling thread, i.e. buffer-pool
    /// misses; for measurements.
    public static var largeAllocationsOnThisThread: Int {
        Thread.current.threadDictionary[BufferPool.missKey] as? Int ?? 0
    }

    /// Floats actually allocated for a buffer of `count` floats (its size class).
    public static func capacity(forCount count: Int) -> Int { BufferPool.sizeClass(count) }
}

/// A bounded cache of freed large buffers, grouped in size classes. Forward passes of a network allocate
/// the same sizes again and again; reusing them avoids malloc and page-fault costs. Buffers of at least
/// `minimumCount` floats are allocated at their class capacity (the count rounded up to 2^k·{1, 1.25, 1.5, 1.75},
/// at most 25 % more), so nearby sizes — e.g. the activations of randomly rescaled images — share buffers.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()
    private let lock = NSLock()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var cachedBytes = 0
    private let minimumCount = 4096
    private let capacityBytes = 512 << 20
    private let perSize = 16
    /// Thread-dictionary key of the per-thread count of pool misses.
    static let missKey = "glimpse.bufferPool.misses"

    /// The capacity in floats of the class holding `count` floats (`count` itself below `minimumCount`).
    static func sizeClass(_ count: Int, minimum: Int = 4096) -> Int {
        guard count > minimum else { return max(count, 1) }
        let top = Int.bitWidth - 1 - (count - 1).leadingZeroBitCount   // 2^top <= count - 1 < 2^(top+1)
        let quarter = 1 << (top - 2)
        return ((count - 1) / quarter + 1) * quarter
    }

    func take(count: Int) -> UnsafeMutablePointer<Float> {
        let capacity = Self.sizeClass(count, minimum: minimumCount)
        if count >= minimumCount {
            lock.lock()
            if let p = free[capacity]?.popLast() {
                cachedBytes -= capacity * 4
                lock.unlock()
                return p
            }
            lock.unlock()
            let d = Thread.current.threadDictionary
            d[Self.missKey] = (d[Self.missKey] as? Int ?? 0) + 1
        }
        var raw: UnsafeMutableRawPointer?
        let bytes = capacity * MemoryLayout<Float>.stride
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("Glimpse: out of memory allocating \(bytes) bytes")
        }
        return raw.bindMemory(to: Float.self, capacity: capacity)
    }

    func give(_ p: UnsafeMutablePointer<Float>, count: Int) {
        if count >= minimumCount {
            let capacity = Self.sizeClass(count, minimum: minimumCount)
            lock.lock()
            if cachedBytes + capacity * 4 <= capacityBytes, free[capacity, default: []].count < perSize {
                free[capacity, default: []].append(p)
                cachedBytes += capacity * 4
                lock.unlock()
                return
            }
            lock.unlock()
        }
        Foundation.free(p)
    }
}

/// A float32 tensor with value semantics (copy-on-write), row-major (NCHW for images).
///
/// A tensor may carry a node of the autodiff graph: then operations on it are recorded and
/// `gradient(of:wrt:)` can differentiate through them.
public struct Tensor: @unchecked Sendable {
    public let shape: [Int]
    @usableFromInline var storage: TensorStorage
    @usableFromInline var node: GradNode?

    @usableFromInline init(shape: [Int], storage: TensorStorage, node: GradNode? = nil) {
        self.shape = shape
        self.storage = storage
        self.node = node
    }

    /// Number of elements (1 for a scalar of shape `[]`).
    @inlinable public var count: Int { storage.count }
    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.init(repeating: 0, shape: shape)
    }

    /// A tensor filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        let n = Tensor.elementCount(shape)
        let s = TensorStorage(count: n)
        s.pointer.initialize(repeating: value, count: n)
        self.init(shape: shape, storage: s)
    }

    /// A tensor holding `values` (row-major); throws if the count does not match the shape.
    public init(_ values: [Float], shape: [Int]) throws {
        let n = Tensor.elementCount(shape)
        guard shape.allSatisfy({ $0 >= 0 }), values.count == n else {
            throw TensorError.valueCount(expected: n, found: values.count, shape: shape)
        }
        let s = TensorStorage(count: n)
        values.withUnsafeBufferPointer { s.pointer.initialize(from: $0.baseAddress!, count: n) }
        self.init(shape: shape, storage: s)
    }

    /// A scalar tensor (shape `[]`).
    public init(scalar: Float) {
        self.init(repeating: scalar, shape: [])
    }

    /// Builds a tensor by letting `body` write all `count` elements of fresh storage.
    @inlinable public init(shape: [Int], initializingWith body: (UnsafeMutablePointer<Float>, Int) throws -> Void) rethrows {
        let n = Tensor.elementCount(shape)
        let s = TensorStorage(count: n)
        try body(s.pointer, n)
        self.init(shape: shape, storage: s)
    }

    @inlinable static func elementCount(_ shape: [Int]) -> Int {
        shape.reduce(1, *)
    }

    /// The values as an array (row-major).
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// The single value of a one-element tensor.
    public var scalar: Float { storage.pointer[0] }

    /// Read-only access to the values.
    @inlinable public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Write access to the values; copies the storage first if another tensor shares it.
    /// Writing detaches the tensor from the autodiff graph.
    @inlinable public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) {
            let copy = TensorStorage(count: count)
            copy.pointer.initialize(from: storage.pointer, count: count)
            storage = copy
        }
        node = nil
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    /// Element at a multi-index (for tests and small tensors).
    public subscript(_ index: Int...) -> Float {
        var flat = 0
        for (i, d) in zip(index, shape) { flat = flat * d + i }
        return storage.pointer[flat]
    }

    /// True when every value is finite (no NaN or infinity).
    public var isFinite: Bool {
        withUnsafeBufferPointer { b in
            // x · 0 is 0 for finite x and NaN for NaN and ±∞, so one vector sum tells whether every value is finite.
            guard let p = b.baseAddress else { return true }
            var lanes = SIMD8<Float>(), rest: Float = 0, i = 0
            while i + 8 <= b.count {
                lanes += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) * 0
                i += 8
            }
            while i < b.count { rest += p[i] * 0; i += 1 }
            return lanes.sum() + rest == 0
        }
    }

    /// Throws `TensorError.nonFinite` when a value is NaN or infinite.
    public func checkFinite(_ what: String) throws {
        if !isFinite { throw TensorError.nonFinite(what) }
    }

    /// Throws unless the shape equals `expected`.
    public func checkShape(_ expected: [Int], _ what: String) throws {
        if shape != expected { throw TensorError.shapeMismatch(what, expected: expected, found: shape) }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(\(shape), [\(preview)\(count > 8 ? ", …" : "")])"
    }
}
