import Console
import Foundation
import XCTest

/// Ctrl-C handling: the signal may land at any instruction of the thread it interrupts.
final class InterruptTests: XCTestCase {
    /// The flag and the handler are the process's: later tests (a trainer polls the flag) must
    /// find neither.
    override func tearDown() {
        Interrupt.clear()
        signal(SIGINT, SIG_DFL)
    }

    /// The REPL and `generate` poll `Interrupt.requested` once per character, so a Ctrl-C often
    /// lands in the middle of that read. The handler used to store into a Swift `static var`,
    /// and the runtime's exclusivity check, seeing that store overlap the read on the same
    /// thread, aborted the process (status 134): the REPL terminal test's rare "no prompt after
    /// Ctrl-C". Here the main thread does nothing but that read while another thread sends it
    /// SIGINT 300 times, so most signals land inside the read.
    func testInterrupt_signalsLandingWhileTheFlagIsReadAreAllSeenAndNeverAbort() throws {
        Interrupt.install(secondExits: false)
        let main = pthread_self()
        let signals = 300
        var seen = 0
        for _ in 0..<signals {
            Interrupt.clear()
            let sender = Thread { pthread_kill(main, SIGINT) }
            sender.start()
            let deadline = Date().addingTimeInterval(10)
            var spins = 0
            while !Interrupt.requested {
                spins += 1
                if spins % 100_000 == 0, Date() > deadline { return XCTFail("a SIGINT was never seen (\(seen) of \(signals) were)") }
            }
            seen += 1
        }
        XCTAssertEqual(seen, signals)
        XCTAssertEqual(Interrupt.exitStatus, 128 + SIGINT)
    }
}
