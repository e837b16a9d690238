import CKernels

/// A weight matrix stored at a `WeightPrecision` for the products of sampling at a reduced
/// precision (reduced_precision.h): bf16 or int8, made once from fp32 weights, or fp32 (the
/// decoder beside them), multiplied by fp32 activations with the weights widened in registers.
/// Rows are output units. Several activation rows (streams) are multiplied in one pass that
/// reads the weights once for all of them, and each stream's numbers are the same whatever
/// the number of streams or threads.
public final class WeightMatrix {
    public let precision: WeightPrecision
    public let rows: Int, columns: Int
    /// Elements per stored row: `columns` rounded up to 16. The activation rows given to
    /// `multiply` must be readable this far and zero from `columns` on.
    public let stride: Int
    private let storage: UnsafeMutableRawPointer
    /// int8: one per row.
    private let scales: FloatBuffer

    /// Stores `weights` (rows × columns, row stride `rowStride`) at `precision`.
    public init(_ precision: WeightPrecision, weights: UnsafePointer<Float>, rows: Int, columns: Int, rowStride: Int) {
        self.precision = precision
        self.rows = rows
        self.columns = columns
        stride = ck_rp_stride(columns)
        let bytes = max(rows * stride * precision.bytesPerWeight, 1)
        storage = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        scales = FloatBuffer(count: precision == .int8 ? rows : 0)
        switch precision {
        case .int8:
            ck_int8_quantise_rows(weights, rows, columns, rowStride, storage.bindMemory(to: Int8.self, capacity: rows * stride),
                                  scales.pointer)
        case .bf16:
            ck_bf16_round_rows(weights, rows, columns, rowStride, storage.bindMemory(to: UInt16.self, capacity: rows * stride))
        case .fp32:
            let target = storage.bindMemory(to: Float.self, capacity: rows * stride)
            for r in 0..<rows { (target + r * stride).update(from: weights + r * rowStride, count: columns) }
        }
    }

    deinit { storage.deallocate() }

    /// The weight the products use at (row, column), widened to fp32.
    public func weight(row: Int, column: Int) -> Float {
        let index = row * stride + column
        switch precision {
        case .int8: return scales[row] * Float(storage.load(fromByteOffset: index, as: Int8.self))
        case .bf16: return Float(bitPattern: UInt32(storage.load(fromByteOffset: 2 * index, as: UInt16.self)) << 16)
        case .fp32: return storage.load(fromByteOffset: 4 * index, as: Float.self)
        }
    }

    /// Bytes a product reads: the weights with their padding, and the scales.
    public var byteCount: Int { rows * stride * precision.bytesPerWeight + scales.count * 4 }

    /// y[s·ldy + r] += Σ_k W[r][k] · x[s·ldx + k] for every stream s < `streams` and row r,
    /// the rows split over `WorkerPool.shared.parallelism` threads.
    public func multiply(streams: Int, _ x: UnsafePointer<Float>, ldx: Int, into y: UnsafeMutablePointer<Float>, ldy: Int) {
        let kind: Int32
        switch precision {
        case .fp32: kind = Int32(CK_RP_FP32)
        case .bf16: kind = Int32(CK_RP_BF16)
        case .int8: kind = Int32(CK_RP_INT8)
        }
        var product = ck_rp_product(kind: kind, rows: rows, cols: columns, weights: storage, scales: scales.pointer,
                                    streams: streams, x: x, ldx: ldx, y: y, ldy: ldy)
        let pool = WorkerPool.shared
        ck_rp_multiply(pool.parallelism > 1 ? pool.pool : nil, pool.parallelism, &product)
    }

    /// Elements an activation row must hold for a matrix of `columns` columns (see `stride`).
    public static func stride(columns: Int) -> Int { ck_rp_stride(columns) }

    /// The instruction set the products were compiled for ("AVX-512", "AVX2+FMA", "portable C").
    public static var instructionSet: String { String(cString: ck_rp_isa()) }
}
