#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// The one place the project talks to BLAS. Everything else multiplies matrices through
/// `gemm`/`gemv`, so swapping OpenBLAS for Accelerate on macOS touches only this file.
///
/// All matrices are row-major and dense; `lda`/`ldb`/`ldc` are row strides in elements.
public enum BLAS {
    /// C = alpha · op(A) · op(B) + beta · C, where op(A) is m×k, op(B) is k×n and C is m×n.
    @inlinable
    public static func gemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        _ a: UnsafePointer<Float>, lda: Int,
        _ b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        _ c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }

    /// y = alpha · op(A) · x + beta · y, where A is rows×columns (before the optional transpose).
    @inlinable
    public static func gemv(
        transpose: Bool = false, rows: Int, columns: Int,
        alpha: Float = 1,
        _ a: UnsafePointer<Float>, lda: Int,
        _ x: UnsafePointer<Float>,
        beta: Float = 0,
        _ y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans,
                    Int32(rows), Int32(columns), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// Number of threads BLAS uses for one call.
    public static var threads: Int {
        get {
            #if canImport(Accelerate)
            return 0
            #else
            return Int(openblas_get_num_threads())
            #endif
        }
        set {
            #if !canImport(Accelerate)
            openblas_set_num_threads(Int32(newValue))
            #endif
        }
    }

    /// The kernel family the BLAS library chose for this CPU (OpenBLAS's core name, e.g. "SkylakeX").
    public static var kernelName: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
        #endif
    }
}
