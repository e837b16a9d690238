import XCTest
import Foundation

/// `charlstm repl` through the real binary: on a pseudo-terminal as a person uses it, and
/// through a pipe as a script does. The model is the tiny one the generate tests train.
final class ReplCommandTests: SampledModelTestCase {
    func testRepl_onATerminal_streamsTextTakesCommandsSurvivesCtrlCCompletesAndKeepsHistory() throws {
        let state = workspace.path("state")
        let terminal = try PseudoTerminal(["repl", "--checkpoint", "checkpoints/tiny", "--seed", "3", "--length", "40"],
                                          in: workspace.folder,
                                          environment: ["TERM": "dumb", "XDG_STATE_HOME": state, "HOME": workspace.folder,
                                                        "PATH": "/usr/bin:/bin"])
        let banner = try XCTUnwrap(terminal.waitFor("> "), "no prompt; got \(terminal.transcript)")
        XCTAssertTrue(banner.contains("charlstm repl"), banner)
        XCTAssertTrue(banner.contains("1×32 LSTM"), banner)
        XCTAssertTrue(banner.contains("temperature 0.8"), banner)

        // Text in, a streamed continuation out, then the prompt again.
        terminal.type("the king\r")
        let answer = try XCTUnwrap(terminal.waitFor("\n> "), "no answer to text")
        let continuation = answer.components(separatedBy: "the king").last!.dropLast(2)
        XCTAssertGreaterThanOrEqual(continuation.unicodeScalars.count, 40, answer)

        terminal.type(":temp 0.5\r")
        XCTAssertNotNil(terminal.waitFor("temperature 0.5"))
        XCTAssertNotNil(terminal.waitFor("> "))
        terminal.type(":temp -2\r")
        XCTAssertNotNil(terminal.waitFor("must be a finite number ≥ 0"))
        XCTAssertNotNil(terminal.waitFor("> "))

        // A long generation, stopped with Ctrl-C once it is streaming; the session carries on.
        terminal.type(":len 10000000\r")
        XCTAssertNotNil(terminal.waitFor("length 10000000"))
        XCTAssertNotNil(terminal.waitFor("> "))
        terminal.type("the\r")
        XCTAssertNotNil(terminal.waitFor("the\r\n"))
        let streamed = Date()
        while terminal.transcript.count < 2000 && Date().timeIntervalSince(streamed) < 30 {
            terminal.readAvailable(waitingUpTo: 0.1)
        }
        terminal.type("\u{03}")
        XCTAssertNotNil(terminal.waitFor("\n> ", timeout: 20), "no prompt after Ctrl-C")
        terminal.type(":settings\r")
        XCTAssertNotNil(terminal.waitFor("temperature 0.5 · top-k off · top-p off · length 10000000 · seed 3"))
        XCTAssertNotNil(terminal.waitFor("> "))

        // Ctrl-C at the prompt drops the half-typed line: what follows is read on its own.
        terminal.type(":len 5")
        XCTAssertNotNil(terminal.waitFor(":len 5"))
        terminal.type("\u{03}")
        terminal.type(":seed\r")
        XCTAssertNotNil(terminal.waitFor("seed 3"))
        XCTAssertNotNil(terminal.waitFor("> "))

        // Tab completes command names, and paths after :load.
        terminal.type(":inf\t\r")
        XCTAssertNotNil(terminal.waitFor("checkpoint  checkpoints/tiny/best.safetensors"))
        XCTAssertNotNil(terminal.waitFor("> "))
        terminal.type(":load check\t")
        XCTAssertNotNil(terminal.waitFor("checkpoints/"))
        terminal.type("tiny\r")
        XCTAssertNotNil(terminal.waitFor("loaded checkpoints/tiny/best.safetensors"))
        XCTAssertNotNil(terminal.waitFor("> "))

        // Ctrl-D on an empty line leaves with status 0 and the history written.
        terminal.type("\u{04}")
        XCTAssertEqual(terminal.waitForExit(), 0)
        let history = try String(contentsOfFile: state + "/charlstm/history", encoding: .utf8)
        for line in ["the king", ":temp 0.5", ":len 10000000", ":settings", ":seed", ":info ", ":load checkpoints/tiny"] {
            XCTAssertTrue(history.components(separatedBy: "\n").contains(line), "\(line) missing from history: \(history)")
        }
        XCTAssertFalse(history.contains(":len 5"), history)
    }

    func testRepl_throughAPipe_answersEachLineWithoutPromptOrEscapes() throws {
        try workspace.write("the\n:temp 0\n\n:len 5\n:top-k nine\nthe Zoo\n:save last.txt\n:quit\nnever read\n", to: "input.txt")
        let run = try workspace.run(["repl", "--checkpoint", "checkpoints/tiny", "--seed", "1", "--length", "30"],
                                    shellPrefix: "exec < input.txt")
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertFalse(run.stdout.contains("\u{1B}"))
        XCTAssertFalse(run.stdout.contains("> "))
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.count, 7, run.stdout)  // 6 answers, each ending with a newline
        XCTAssertEqual(lines[0].unicodeScalars.count, 30)
        XCTAssertEqual(lines[1], "temperature 0.0")
        XCTAssertEqual(lines[3], "length 5")
        XCTAssertEqual(lines[4].unicodeScalars.count, 5)
        XCTAssertEqual(lines[5], "wrote 5 characters to last.txt")
        XCTAssertEqual(try String(contentsOfFile: workspace.path("last.txt"), encoding: .utf8), lines[4])
        XCTAssertTrue(run.stderr.contains(":top-k needs an integer ≥ 1 or off, got nine"), run.stderr)
        XCTAssertTrue(run.stderr.contains("'Z' (U+005A)"), run.stderr)
    }

    func testRepl_greedyTurnsMatchGenerate() throws {
        try workspace.write("the king\n", to: "one-line.txt")
        let repl = try workspace.run(["repl", "--checkpoint", "checkpoints/tiny", "--temperature", "0", "--length", "50"],
                                     shellPrefix: "exec < one-line.txt")
        let generate = try workspace.run(["generate", "--checkpoint", "checkpoints/tiny", "--temperature", "0",
                                          "--length", "50", "--prompt", "the king", "--no-prompt"])
        XCTAssertEqual(repl.stdout, generate.stdout + "\n")
    }

    func testRepl_loadSwitchesModelsAndRefusesBadOnes() throws {
        try workspace.write(":load nowhere\n:load checkpoints/tiny\n:info\n", to: "load.txt")
        let run = try workspace.run(["repl", "--checkpoint", "checkpoints/tiny"], shellPrefix: "exec < load.txt")
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("nowhere: no such checkpoint file or run folder; still using checkpoints/tiny/best.safetensors"), run.stderr)
        XCTAssertTrue(run.stdout.contains("loaded checkpoints/tiny/best.safetensors: 1×32 LSTM"), run.stdout)
        XCTAssertTrue(run.stdout.contains("model       1×32 LSTM, embedding 8"), run.stdout)
    }
}
