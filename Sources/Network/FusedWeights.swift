import Kernels

/// How an `InferenceState` stores the fused recurrent weights it multiplies at every step.
public enum WeightPrecision: Sendable {
    /// fp32, the trained values: the product is one BLAS GEMV (threads: `BLAS.threads`).
    case single
    /// binary16, rounded to nearest: half the bytes to stream per step, which is what bounds
    /// batch-1 sampling of a large model. The product sums in fp32 (`ck_gemv_rows_f16`) split
    /// by columns over `Parallel` (threads: `Parallel.threads`). Probabilities move by about
    /// 1e-4 relative; everything else (biases, input table, decoder, state) stays fp32.
    case half
}

/// One layer's fused weights for `InferenceState`, rows × width row-major, in either precision,
/// and the one product the state needs from them.
struct FusedWeights {
    private enum Storage {
        case single(FloatBuffer)
        case half(HalfBuffer)
    }

    private let storage: Storage
    let rows: Int, width: Int

    /// Columns per piece when the half product is split across threads: below this, waking a
    /// thread costs more than the piece.
    static let columnsPerPiece = 256

    init(_ matrix: FloatBuffer, rows: Int, width: Int, precision: WeightPrecision) {
        precondition(matrix.count == rows * width)
        self.rows = rows
        self.width = width
        switch precision {
        case .single: storage = .single(matrix)
        case .half: storage = .half(HalfBuffer(rounding: matrix))
        }
    }

    /// y (width) += xᵀ · weights, for x of `rows` elements.
    func accumulate(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        switch storage {
        case .single(let weights):
            BLAS.gemv(transpose: true, rows: rows, columns: width, weights.pointer, lda: width, x, beta: 1, y)
        case .half(let weights):
            let w = weights.pointer, rows = Int32(rows), width = Int32(width)
            Parallel.forEachRange(Int(width), grain: Self.columnsPerPiece) { range in
                ck_gemv_rows_f16(w, rows, width, Int32(range.lowerBound), Int32(range.upperBound), x, y)
            }
        }
    }
}
