import COpenBLAS
import Foundation

/// OpenBLAS's own single-precision GEMM kernel and panel-packing routines for the core in use, so that a frozen
/// weight matrix is packed once instead of on every `cblas_sgemm` call.
///
/// `cblas_sgemm` packs both operands on every call. For the 1×1 convolutions of small planes (7×7, 14×14) the weight
/// matrix is larger than the image, and its packing was about 9 % of a PGD profile. DYNAMIC_ARCH builds of OpenBLAS
/// (Debian's) export each core's `sgemm_kernel_<CORE>` and `sgemm_{it,on,ot}copy_<CORE>`; Glimpse looks them up by
/// the core name, packs weights with them once, and calls the kernel itself. A self-check against `cblas_sgemm` at
/// first use (remainder rows and columns, two depth blocks, both weight orientations) guards the layout; when a
/// symbol is missing, the check fails, or `GLIMPSE_PACKED_GEMM=0` is set, convolutions use `cblas_sgemm` as before.
///
/// Layout (OpenBLAS's column-major view of Glimpse's row-major product C[m×n] = op(W)[m×k] · X[k×n]): X is the
/// kernel's "A" operand (packed per call by `itcopy`, in blocks of `pixelBlock` columns), op(W) its "B" operand
/// (packed once by `oncopy`, or `otcopy` when transposed), both in blocks of `depthBlock` along k.
struct OpenBLASPanels {
    typealias Kernel = @convention(c) (Int, Int, Int, Float, UnsafePointer<Float>?, UnsafePointer<Float>?,
                                       UnsafeMutablePointer<Float>?, Int) -> Int32
    typealias Copy = @convention(c) (Int, Int, UnsafePointer<Float>?, Int, UnsafeMutablePointer<Float>?) -> Int32

    let kernel: Kernel
    /// Packs a block of X (k rows × columns, row-major): `itcopy`.
    let packActivations: Copy
    /// Packs a block of W (rows × k, row-major): `oncopy`.
    let packWeights: Copy
    /// Packs a block of Wᵀ (W is k × rows, row-major): `otcopy`.
    let packTransposedWeights: Copy

    static let depthBlock = 256
    static let pixelBlock = 256

    /// The routines of this process's OpenBLAS core, or nil (then `cblas_sgemm` is used).
    static let shared: OpenBLASPanels? = {
        if ProcessInfo.processInfo.environment["GLIMPSE_PACKED_GEMM"] == "0" { return nil }
        BLASSetup.once
        let core = BLASSetup.coreName.uppercased()
        guard let handle = dlopen(nil, RTLD_NOW) else { return nil }
        func symbol<T>(_ name: String, as: T.Type) -> T? {
            dlsym(handle, "sgemm_\(name)_\(core)").map { unsafeBitCast($0, to: T.self) }
        }
        guard let kernel = symbol("kernel", as: Kernel.self), let it = symbol("itcopy", as: Copy.self),
              let on = symbol("oncopy", as: Copy.self), let ot = symbol("otcopy", as: Copy.self) else { return nil }
        let panels = OpenBLASPanels(kernel: kernel, packActivations: it, packWeights: on, packTransposedWeights: ot)
        return panels.agreesWithCBLAS() ? panels : nil
    }()

    /// Depth blocks of 0..<k: one block up to `depthBlock`, else blocks of `depthBlock` with the rest split in two
    /// (no sliver at the end).
    static func depthBlocks(_ k: Int) -> [Range<Int>] {
        var blocks: [Range<Int>] = [], start = 0
        while start < k {
            let left = k - start
            let size = left <= depthBlock ? left : (left < 2 * depthBlock ? (left + 1) / 2 : depthBlock)
            blocks.append(start..<(start + size))
            start += size
        }
        return blocks
    }

    /// `c[r·ldc + j] += Σ_l op(W)[r, l] · x[l·ldx + j]` for the band's rows r (c points at its first row) and
    /// columns j in 0..<columns.
    func multiply(_ band: PackedWeightBand, _ x: UnsafePointer<Float>, ldx: Int, columns: Int,
                  into c: UnsafeMutablePointer<Float>, ldc: Int) {
        if columns == 0 || band.rows.isEmpty { return }
        let blockColumns = Swift.min(columns, Self.pixelBlock)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: (blockColumns * Self.depthBlock + 64) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: blockColumns * Self.depthBlock + 64)
        defer { scratch.deallocate() }
        for (block, offset) in zip(band.depthBlocks, band.offsets) {
            var start = 0
            while start < columns {
                let width = Swift.min(Self.pixelBlock, columns - start)
                _ = packActivations(block.count, width, x + block.lowerBound * ldx + start, ldx, scratch)
                _ = kernel(width, band.rows.count, block.count, 1, scratch, band.buffer + offset, c + start, ldc)
                start += width
            }
        }
    }

    /// The packed product against `cblas_sgemm` on odd sizes, both orientations, a band not starting at row 0.
    private func agreesWithCBLAS() -> Bool {
        let m = 45, k = 300, n = 37, rows = 7..<38
        var rng = SeededRNG(seed: 7)
        let w = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) }
        let x = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &rng) }
        for transposed in [false, true] {
            let lda = transposed ? m : k
            var expected = [Float](repeating: 0.5, count: rows.count * n), got = expected
            let band = w.withUnsafeBufferPointer { PackedWeightBand(weights: $0.baseAddress!, lda: lda, transposed: transposed,
                                                                    rows: rows, depth: k, panels: self) }
            w.withUnsafeBufferPointer { pw in
                x.withUnsafeBufferPointer { px in
                    let a = transposed ? pw.baseAddress! + rows.lowerBound : pw.baseAddress! + rows.lowerBound * lda
                    cblas_sgemm(CblasRowMajor, transposed ? CblasTrans : CblasNoTrans, CblasNoTrans, Int32(rows.count),
                                Int32(n), Int32(k), 1, a, Int32(lda), px.baseAddress!, Int32(n), 1, &expected, Int32(n))
                    got.withUnsafeMutableBufferPointer { multiply(band, px.baseAddress!, ldx: n, columns: n, into: $0.baseAddress!, ldc: n) }
                }
            }
            for i in 0..<expected.count where !(abs(expected[i] - got[i]) <= 1e-3 * Swift.max(1, abs(expected[i]))) {
                return false
            }
        }
        return true
    }
}

/// Rows `rows` of op(W) (W row-major with leading dimension `lda`; op(W) = Wᵀ when `transposed`) over the depth k,
/// packed once in OpenBLAS's panel format, one segment per depth block.
final class PackedWeightBand: @unchecked Sendable {
    let rows: Range<Int>
    let depthBlocks: [Range<Int>]
    let offsets: [Int]
    let buffer: UnsafeMutablePointer<Float>

    init(weights w: UnsafePointer<Float>, lda: Int, transposed: Bool, rows: Range<Int>, depth k: Int, panels: OpenBLASPanels) {
        self.rows = rows
        depthBlocks = OpenBLASPanels.depthBlocks(k)
        // Each block's panels start on a 64-byte boundary, as the first block's do.
        var offsets: [Int] = [], next = 0
        for block in depthBlocks {
            offsets.append(next)
            next += (block.count * rows.count + 15) / 16 * 16
        }
        self.offsets = offsets
        let count = next + 64
        buffer = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64).bindMemory(to: Float.self, capacity: count)
        for (block, offset) in zip(depthBlocks, offsets) {
            if transposed {
                // op(W)[r, l] = W[l, r]: OpenBLAS's transposed "B" operand.
                _ = panels.packTransposedWeights(block.count, rows.count, w + block.lowerBound * lda + rows.lowerBound, lda,
                                                 buffer + offset)
            } else {
                _ = panels.packWeights(block.count, rows.count, w + rows.lowerBound * lda + block.lowerBound, lda, buffer + offset)
            }
        }
    }

    deinit { buffer.deallocate() }
}

/// The packed bands made from one weight tensor's values (kept with its storage, built on first use). Tensor values
/// are not written after creation, so a band stays valid as long as the storage lives.
final class PackedWeightCache: @unchecked Sendable {
    private struct Key: Hashable { let transposed: Bool, lo: Int, hi: Int, depth: Int, lda: Int }
    private let lock = NSLock()
    private var bands: [Key: PackedWeightBand] = [:]

    /// The band of rows `rows` of op(W), packed now if it was not before.
    func band(_ w: UnsafePointer<Float>, lda: Int, transposed: Bool, rows: Range<Int>, depth: Int,
              panels: OpenBLASPanels) -> PackedWeightBand {
        let key = Key(transposed: transposed, lo: rows.lowerBound, hi: rows.upperBound, depth: depth, lda: lda)
        lock.lock(); defer { lock.unlock() }
        if let band = bands[key] { return band }
        let band = PackedWeightBand(weights: w, lda: lda, transposed: transposed, rows: rows, depth: depth, panels: panels)
        bands[key] = band
        return band
    }
}

/// A 1×1 convolution's weights for packed GEMMs: the pointer, its cache and the kernels.
struct PackedWeights {
    let weights: UnsafePointer<Float>
    let cache: PackedWeightCache
    let panels: OpenBLASPanels

    /// Rows `rows` of W (cout × cin): the forward product's weights.
    func forward(rows: Range<Int>, cin: Int) -> PackedWeightBand {
        cache.band(weights, lda: cin, transposed: false, rows: rows, depth: cin, panels: panels)
    }

    /// Rows `rows` of Wᵀ (cin × cout): the input gradient's weights.
    func transposed(rows: Range<Int>, cin: Int, cout: Int) -> PackedWeightBand {
        cache.band(weights, lda: cin, transposed: true, rows: rows, depth: cout, panels: panels)
    }
}

/// Whether frozen 1×1 convolution weights are packed once for OpenBLAS's kernel (see `OpenBLASPanels`); false
/// means every product goes through `cblas_sgemm`.
public var packedWeightsInUse: Bool { OpenBLASPanels.shared != nil }

/// Whether this process's OpenBLAS exports the panel routines of its core (then `packedWeightsInUse` is false only
/// when `GLIMPSE_PACKED_GEMM=0` is set or the self-check against `cblas_sgemm` failed).
public var openBLASExportsPanelRoutines: Bool {
    let core = BLASSetup.coreName.uppercased()
    guard let handle = dlopen(nil, RTLD_NOW) else { return false }
    return ["kernel", "itcopy", "oncopy", "otcopy"].allSatisfy { dlsym(handle, "sgemm_\($0)_\(core)") != nil }
}
