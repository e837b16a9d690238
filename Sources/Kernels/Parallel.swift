import Dispatch

/// Splits work across the machine's cores with our own threads, while BLAS itself runs
/// single-threaded inside each piece.
///
/// Why not let OpenBLAS thread every call: the recurrent loop issues thousands of small GEMMs
/// per training step, and OpenBLAS's worker threads spin (sched_yield) between them, taking a
/// core from the elementwise work. Splitting at our level instead — whole batch halves run
/// the time loop independently, big GEMMs are cut by rows — keeps every core on useful work
/// and needs one synchronisation per phase, not per time step.
public enum Parallel {
    /// Worker count; set once from `--threads` (BLAS is then pinned to one thread per call).
    nonisolated(unsafe) public private(set) static var threads = 1

    public static func configure(threads: Int) {
        self.threads = max(1, threads)
        BLAS.threads = 1
    }

    /// Calls `body` on `min(threads, count)` disjoint contiguous ranges covering 0..<count, in
    /// parallel, each range at least `grain` long where possible. Ranges are deterministic for
    /// a given count and thread count, so results are reproducible run to run.
    @inlinable
    public static func forEachRange(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        forEachPiece(count, grain: grain) { _, range in body(range) }
    }

    /// As `forEachRange`, also passing each range's index (0 for the first range), so callers
    /// can keep per-piece partial results and combine them in a fixed order.
    @inlinable
    public static func forEachPiece(_ count: Int, grain: Int = 1, _ body: (Int, Range<Int>) -> Void) {
        let pieces = min(threads, max(1, count / max(grain, 1)))
        if pieces <= 1 {
            body(0, 0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            body(piece, range(piece, of: pieces, count: count))
        }
    }

    /// The `piece`-th of `pieces` near-equal contiguous ranges of 0..<count.
    @inlinable
    public static func range(_ piece: Int, of pieces: Int, count: Int) -> Range<Int> {
        let base = count / pieces, extra = count % pieces
        let start = piece * base + min(piece, extra)
        return start ..< start + base + (piece < extra ? 1 : 0)
    }
}
