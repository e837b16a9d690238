import Foundation
import XCTest

/// A REPL waiting at its prompt uses no CPU, after it has written text with a model large
/// enough for its steps to run on several threads (the spinning worker pool at a reduced
/// precision, BLAS's threads in fp32): every worker must have gone to sleep.
final class ReplIdleTests: XCTestCase {
    /// User plus system CPU time of process `pid` so far, in seconds (/proc/PID/stat).
    func cpuSeconds(_ pid: pid_t) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the command name (which is in parentheses and may hold spaces).
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (Double(fields[11])! + Double(fields[12])!) / ticks  // utime, stime: fields 14 and 15
    }

    func testRepl_idleAtItsPromptFor10SecondsUsesUnder1PercentOfACore() throws {
        let workspace = try Workspace()
        try workspace.write(GeneratedText.words(2000, seed: 3), to: "words.txt")
        // 2×512: over a million parameters, so sampling tries two threads (one step of training is enough).
        let train = try workspace.run(["train", "words.txt", "--run", "wide", "--layers", "2", "--hidden", "512", "--embedding", "64",
                                       "--batch", "4", "--seq", "16", "--steps", "1", "--eval-every", "1"])
        XCTAssertEqual(train.status, 0, train.stderr)
        for precision in ["int8", "fp32"] {
            let terminal = try PseudoTerminal(["repl", "--checkpoint", "checkpoints/wide", "--precision", precision, "--length", "600",
                                               "--seed", "1"], in: workspace.folder,
                                              environment: ["TERM": "dumb", "XDG_STATE_HOME": workspace.path("state"),
                                                            "HOME": workspace.folder, "PATH": "/usr/bin:/bin"])
            XCTAssertNotNil(terminal.waitFor("> "), "no prompt")
            terminal.type("the king\r")
            XCTAssertNotNil(terminal.waitFor("\n> ", timeout: 120), "\(precision): the turn did not end")
            let threads = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(terminal.process)/task").count
            // OpenBLAS's own threads spin for about 2^28 cycles (its THREAD_TIMEOUT, ~0.1 s of CPU)
            // after the last product before they sleep; on a loaded machine that takes longer in
            // wall time. The REPL is idle from the prompt on, so the window starts once that is over.
            Thread.sleep(forTimeInterval: 3)
            let before = try cpuSeconds(terminal.process)
            Thread.sleep(forTimeInterval: 10)
            let used = try cpuSeconds(terminal.process) - before
            XCTAssertLessThan(used, 0.1, "\(precision): the idle REPL used \(used) s of CPU in 10 s (\(threads) threads)")
            terminal.type(":quit\r")
            XCTAssertEqual(terminal.waitForExit(), 0)
        }
    }
}
