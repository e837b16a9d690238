import CKernels
import Glibc

/// The process's spinning worker pool (worker_pool.h) for the reduced-precision products of
/// sampling: tens of microseconds of work handed off several times per character.
///
/// Why not BLAS's threads or Dispatch: waking a sleeping thread costs several microseconds,
/// twice per character, which ate most of what halving the weights' bytes saved. Idle workers
/// here spin on their own counter for `CK_POOL_SPIN_MICROSECONDS` before they sleep, so a
/// hand-off while text is being written costs well under a microsecond, and a program that
/// stops sampling (a REPL waiting for its user) has every worker asleep a moment later.
public final class WorkerPool: @unchecked Sendable {
    // Unchecked: `pool` is thread-safe C (a caller that finds it busy runs its work alone);
    // `parallelism` is set, like `BLAS.threads`, by whoever runs the products.
    let pool: OpaquePointer?

    /// The pool every product of the process uses: one thread per core, the caller's included,
    /// its workers started on first use.
    public static let shared = WorkerPool(threads: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    public init(threads: Int) {
        pool = threads > 1 ? ck_pool_create(threads) : nil
    }

    deinit { ck_pool_destroy(pool) }

    /// Threads the pool has, the caller's included.
    public var threads: Int { pool.map { ck_pool_threads($0) } ?? 1 }

    /// Threads each product is split over (1: the caller alone, and the workers sleep), at most `threads`.
    public var parallelism: Int {
        get { chosen }
        set { chosen = min(max(newValue, 1), threads) }
    }
    private var chosen = 1

    /// Workers asleep at this moment (each goes to sleep after spinning idle for a while).
    public var sleeping: Int { pool.map { ck_pool_sleeping($0) } ?? 0 }
}
