import Glibc

/// Picks, while a long run of equal steps goes on, the BLAS thread count that makes them fastest
/// right now, by timing the candidates in turn.
///
/// Batch-1 sampling of a large model is a chain of matrix–vector products bound by memory
/// bandwidth: on an idle 2-core machine two threads nearly halve a 2×512 step (one core
/// alone cannot stream the 12 MB of weights fast enough), but when another process holds a
/// core, each product waits for its slowest thread and two threads lose badly. Nothing read
/// before the run (a load average, say) tells which case holds, and it changes while a long
/// text is written, so the tuner measures: it times `trialSteps` steps on each candidate,
/// keeps the fastest for `settledSteps` steps, and then measures again. The slower candidate
/// runs for only a few percent of the steps. Only the time inside steps counts, so pauses
/// between them (a REPL waiting for its user) do not skew a trial.
///
/// The results of a step must not depend on the thread count (BLAS splits the products by
/// output rows, so they do not): the tuner changes speed only.
public struct ThreadTuner {
    /// Thread counts tried, in this order.
    public let candidates: [Int]
    /// Steps timed per candidate in a trial (after `warmupSteps` untimed ones).
    public let trialSteps: Int
    /// Steps run on the winner before the next trial.
    public let settledSteps: Int
    /// Steps after each switch that are not timed: new worker threads take a moment to wake.
    public let warmupSteps: Int
    /// The thread count in use.
    public private(set) var current: Int

    private let setThreads: (Int) -> Void
    private let clock: () -> UInt64
    /// Index into `candidates` while a trial runs; nil while settled.
    private var trialIndex: Int? = 0
    private var stepsInPhase = 0
    private var stepStarted: UInt64 = 0
    private var timedNanoseconds: UInt64 = 0
    private var trialTimes: [UInt64]

    /// - Parameters:
    ///   - setThreads: applies a thread count (by default, to BLAS).
    ///   - clock: a monotonic time in nanoseconds (by default, `CLOCK_MONOTONIC`).
    public init(candidates: [Int], trialSteps: Int = 48, settledSteps: Int = 2048, warmupSteps: Int = 4,
                setThreads: @escaping (Int) -> Void = { BLAS.threads = $0 },
                clock: @escaping () -> UInt64 = ThreadTuner.monotonicNanoseconds) {
        precondition(!candidates.isEmpty && trialSteps > 0 && settledSteps > 0 && warmupSteps >= 0)
        self.candidates = candidates
        self.trialSteps = trialSteps
        self.settledSteps = settledSteps
        self.warmupSteps = warmupSteps
        self.setThreads = setThreads
        self.clock = clock
        trialTimes = Array(repeating: 0, count: candidates.count)
        current = candidates[0]
        setThreads(current)
    }

    /// Thread counts worth trying on this machine: one, and every core. Nil when there is
    /// only one core, so nothing to choose.
    public static func candidates(cores: Int) -> [Int]? {
        cores > 1 ? [1, cores] : nil
    }

    /// Call right before each step.
    @inline(__always)
    public mutating func stepStarting() {
        if trialIndex != nil && stepsInPhase >= warmupSteps { stepStarted = clock() }
    }

    /// Call right after each step.
    public mutating func stepFinished() {
        stepsInPhase += 1
        guard let index = trialIndex else {
            if stepsInPhase >= settledSteps { switchTo(trial: 0) }
            return
        }
        guard stepsInPhase > warmupSteps else { return }
        timedNanoseconds &+= clock() &- stepStarted
        guard stepsInPhase == warmupSteps + trialSteps else { return }
        trialTimes[index] = timedNanoseconds
        if index + 1 < candidates.count {
            switchTo(trial: index + 1)
        } else {
            let fastest = trialTimes.indices.min { trialTimes[$0] < trialTimes[$1] }!
            trialIndex = nil
            stepsInPhase = 0
            use(candidates[fastest])
        }
    }

    private mutating func switchTo(trial index: Int) {
        trialIndex = index
        stepsInPhase = 0
        timedNanoseconds = 0
        use(candidates[index])
    }

    private mutating func use(_ threads: Int) {
        guard threads != current else { return }
        current = threads
        setThreads(threads)
    }

    /// `CLOCK_MONOTONIC` in nanoseconds.
    public static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
