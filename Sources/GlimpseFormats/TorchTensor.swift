/// A storage named by a checkpoint's persistent id: its key, element type and element count.
struct StorageRef {
    let key: String
    let type: ScalarType
    let count: Int
}

/// A strided view of a storage, as rebuilt by `torch._utils._rebuild_tensor_v2`.
struct TensorRef {
    let storage: StorageRef
    /// In elements.
    let offset: Int
    let shape: [Int]
    /// In elements.
    let strides: [Int]

    /// The view's values in C order. `bytes` are the storage's raw little-endian elements; `name` is the tensor's key.
    func materialise(from bytes: UnsafeRawBufferPointer, name: String) throws -> StoredTensor {
        let type = storage.type
        guard let count = shape.checkedProduct, offset >= 0, strides.allSatisfy({ $0 >= 0 }) else {
            throw FormatError.malformed("tensor '\(name)': invalid size \(shape), stride \(strides) or offset \(offset)")
        }
        guard let storageBytes = type.byteCount(of: storage.count), storageBytes <= bytes.count else {
            throw FormatError.storageTooSmall(key: storage.key, needed: type.byteCount(of: storage.count) ?? .max, available: bytes.count)
        }
        guard count > 0 else { return StoredTensor(shape: shape, scalarType: type, values: []) }
        // A stride only matters where the size exceeds 1; zeroing the others keeps every step below in range.
        let steps = zip(shape, strides).map { $0 > 1 ? $1 : 0 }
        var last = offset  // last element the view touches
        for (size, step) in zip(shape, steps) {
            let (span, o1) = (size - 1).multipliedReportingOverflow(by: step)
            let (end, o2) = last.addingReportingOverflow(span)
            guard !o1, !o2 else { throw FormatError.malformed("tensor '\(name)': strides \(strides) overflow") }
            last = end
        }
        guard last < storage.count else {
            throw FormatError.storageTooSmall(key: storage.key, needed: type.byteCount(of: last + 1) ?? .max, available: storageBytes)
        }
        let window = UnsafeRawBufferPointer(rebasing: bytes[(offset * type.byteCount)...])
        var expected = 1, contiguous = true
        for (size, step) in zip(shape, steps).reversed() where size > 1 {
            if step != expected { contiguous = false; break }
            expected *= size
        }
        if contiguous {
            return StoredTensor(shape: shape, scalarType: type, values: try type.decode(window, count: count, what: "tensor '\(name)'"))
        }
        // General strides: decode the touched span once, then gather in C order with an odometer over the indices.
        let span = try type.decode(window, count: last - offset + 1, what: "tensor '\(name)'")
        var values = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: shape.count)
        var source = 0
        for i in 0..<count {
            values[i] = span[source]
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                source += steps[axis]
                if index[axis] < shape[axis] { break }
                source -= steps[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return StoredTensor(shape: shape, scalarType: type, values: values)
    }
}
