import XCTest
import Kernels

/// The tuner against a clock that the test advances: each step "takes" what `cost` says for the
/// thread count in use, so the choice the tuner must make is known.
final class ThreadTunerTests: XCTestCase {
    final class FakeMachine {
        var now: UInt64 = 0
        var threads = 0
        var cost: (Int) -> UInt64 = { _ in 100 }
        var applied = [Int]()
    }

    func makeTuner(_ machine: FakeMachine, trialSteps: Int = 10, settledSteps: Int = 100) -> ThreadTuner {
        ThreadTuner(candidates: [1, 2], trialSteps: trialSteps, settledSteps: settledSteps, warmupSteps: 2,
                    setThreads: { machine.threads = $0; machine.applied.append($0) }, clock: { machine.now })
    }

    func run(_ tuner: inout ThreadTuner, _ machine: FakeMachine, steps: Int) {
        for _ in 0..<steps {
            tuner.stepStarting()
            machine.now += machine.cost(machine.threads)
            tuner.stepFinished()
        }
    }

    func testThreadTuner_settlesOnTheFasterCount() {
        let machine = FakeMachine()
        machine.cost = { $0 == 2 ? 50 : 100 }
        var tuner = makeTuner(machine)
        run(&tuner, machine, steps: 24)
        XCTAssertEqual(tuner.current, 2)
        machine.cost = { $0 == 2 ? 300 : 100 }
        var slow = makeTuner(machine)
        run(&slow, machine, steps: 24)
        XCTAssertEqual(slow.current, 1)
        XCTAssertEqual(machine.threads, 1)
    }

    /// When the machine gets busy after the first choice, the next trial finds it.
    func testThreadTuner_triesAgainAfterTheSettledStepsAndFollowsAChange() {
        let machine = FakeMachine()
        machine.cost = { $0 == 2 ? 50 : 100 }
        var tuner = makeTuner(machine)
        run(&tuner, machine, steps: 24 + 99)
        XCTAssertEqual(tuner.current, 2)
        machine.cost = { $0 == 2 ? 400 : 100 }
        run(&tuner, machine, steps: 1 + 24)
        XCTAssertEqual(tuner.current, 1)
        XCTAssertEqual(machine.applied, [1, 2, 1, 2, 1])
    }

    /// Time between steps (a REPL waiting for its user) is not counted against a candidate,
    /// and neither are the first steps after a switch.
    func testThreadTuner_countsOnlyTimeInsideTimedSteps() {
        let machine = FakeMachine()
        machine.cost = { $0 == 2 ? 50 : 100 }
        var tuner = makeTuner(machine)
        for step in 0..<24 {
            tuner.stepStarting()
            machine.now += machine.cost(machine.threads)
            if step == 12 || step == 13 { machine.now += 1_000_000 }  // the warm-up steps on 2 threads are slow
            tuner.stepFinished()
            if step == 17 { machine.now += 5_000_000 }  // a pause between two timed steps on 2 threads
        }
        XCTAssertEqual(tuner.current, 2)
    }

    func testThreadTuner_candidatesOnlyWhenThereIsAChoice() {
        XCTAssertNil(ThreadTuner.candidates(cores: 1))
        XCTAssertEqual(ThreadTuner.candidates(cores: 2), [1, 2])
        XCTAssertEqual(ThreadTuner.candidates(cores: 8), [1, 8])
    }
}
