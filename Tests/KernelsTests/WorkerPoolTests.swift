import XCTest
import CKernels
@testable import Kernels

final class WorkerPoolTests: XCTestCase {
    /// Every piece runs exactly once per call, over many calls in a row (the hand-off that runs
    /// between the layers of every character), and the workers go to sleep once calls stop.
    func testWorkerPool_runsEveryPieceOnceAndSleepsWhenIdle() throws {
        let pool = WorkerPool(threads: 2)
        let handle = try XCTUnwrap(pool.pool)
        XCTAssertEqual(pool.threads, 2)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 2)
        counts.initialize(repeating: 0, count: 2)
        defer { counts.deallocate() }
        let task: @convention(c) (UnsafeMutableRawPointer?, Int, Int) -> Void = { context, piece, _ in
            context!.assumingMemoryBound(to: Int.self)[piece] += 1
        }
        for _ in 0..<10_000 { ck_pool_run(handle, 2, task, counts) }
        XCTAssertEqual([counts[0], counts[1]], [10_000, 10_000])
        // Idle for far longer than the spin time, the worker must fall asleep (polled for up to
        // a second, as a loaded machine may not run it at once).
        let deadline = Date().addingTimeInterval(1)
        while pool.sleeping < 1 && Date() < deadline { usleep(UInt32(CK_POOL_SPIN_MICROSECONDS) * 5) }
        XCTAssertEqual(pool.sleeping, 1, "the idle worker did not go to sleep")
        ck_pool_run(handle, 2, task, counts)
        XCTAssertEqual([counts[0], counts[1]], [10_001, 10_001], "a sleeping worker was not woken")
    }
}
