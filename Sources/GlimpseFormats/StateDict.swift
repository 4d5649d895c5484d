/// A tensor read from (or to be written to) a file: shape, stored element type and C-order values as Float.
public struct StoredTensor: Sendable, Equatable {
    public var shape: [Int]
    /// Element type in the file.
    public var scalarType: ScalarType
    /// Values in C (row-major) order, converted to Float.
    public var values: [Float]

    public init(shape: [Int], scalarType: ScalarType = .float32, values: [Float]) {
        self.shape = shape
        self.scalarType = scalarType
        self.values = values
    }

    /// Number of elements: the product of `shape` (1 for a scalar of shape []).
    public var count: Int { shape.reduce(1, *) }
}

/// Named tensors in file order.
public struct StateDict: Sendable {
    /// Tensor names in file order.
    public private(set) var keys: [String] = []
    private var tensors: [String: StoredTensor] = [:]

    public init() {}

    public subscript(key: String) -> StoredTensor? { tensors[key] }

    /// Number of tensors.
    public var count: Int { keys.count }

    /// Adds `tensor` under `key` (a new key goes last) or replaces the tensor already there.
    public mutating func set(_ key: String, _ tensor: StoredTensor) {
        if tensors.updateValue(tensor, forKey: key) == nil { keys.append(key) }
    }
}

extension StateDict {
    /// The tensor at `key`, checked against `shape`;
    /// throws `FormatError.missingKey(key)` or `.shapeMismatch(key:expected:found:)`.
    public func tensor(_ key: String, shape: [Int]) throws -> StoredTensor {
        guard let tensor = tensors[key] else { throw FormatError.missingKey(key) }
        guard tensor.shape == shape else { throw FormatError.shapeMismatch(key: key, expected: shape, found: tensor.shape) }
        return tensor
    }
}

extension Array where Element == Int {
    /// Product of the elements, or nil if one is negative or the product overflows.
    var checkedProduct: Int? {
        var product = 1
        for dimension in self {
            guard dimension >= 0 else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            product = next
        }
        return product
    }
}
