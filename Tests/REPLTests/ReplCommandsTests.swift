import XCTest
import REPL
import Sampling

final class ReplCommandsTests: XCTestCase {
    let start = ReplState(settings: SamplingSettings(temperature: 0.8), length: 400, seed: 7)

    /// Runs one line against a copy of `start`: the outcome and the state after it.
    func run(_ line: String) -> (ReplOutcome, ReplState) {
        var state = start
        let outcome = ReplCommands.command(line: line, state: &state)
        return (outcome, state)
    }

    /// A line that must be refused: an error naming the problem, and no setting changed.
    func assertRefused(_ line: String, saying fragment: String, file: StaticString = #filePath, line number: UInt = #line) {
        let (outcome, state) = run(line)
        guard case .error(let message) = outcome else {
            return XCTFail("\(line) gave \(outcome)", file: file, line: number)
        }
        XCTAssertTrue(message.contains(fragment), "\(line): \(message)", file: file, line: number)
        XCTAssertEqual(state, start, file: file, line: number)
    }

    func testReplCommands_textIsGeneratedFrom() {
        XCTAssertEqual(run("ROMEO:").0, .generate("ROMEO:"))
        XCTAssertEqual(run("  two words ").0, .generate("  two words "))
        XCTAssertEqual(run("::colon first").0, .generate(":colon first"))
    }

    func testReplCommands_emptyLineContinues() {
        XCTAssertEqual(run("").0, .continueText)
    }

    func testReplCommands_tempSetsTheTemperature() {
        let (outcome, state) = run(":temp 0.5")
        XCTAssertEqual(outcome, .show("temperature 0.5"))
        XCTAssertEqual(state.settings.temperature, 0.5)
        XCTAssertEqual(run(":temp 0").1.settings.temperature, 0)
        XCTAssertEqual(run(":temperature 2").1.settings.temperature, 2)
    }

    func testReplCommands_tempRefusesBadValuesWithTheRange() {
        assertRefused(":temp -1", saying: "must be a finite number ≥ 0 (0 = greedy), got -1.0")
        assertRefused(":temp hot", saying: "needs a number ≥ 0 (0 = greedy), got hot")
        assertRefused(":temp inf", saying: "must be a finite number ≥ 0")
        assertRefused(":temp nan", saying: "must be a finite number ≥ 0")
        assertRefused(":temp", saying: "usage: :temp X")
        assertRefused(":temp 1 2", saying: "usage: :temp X")
    }

    func testReplCommands_topKSetsAndClears() {
        XCTAssertEqual(run(":top-k 5").1.settings.topK, 5)
        var state = start
        _ = ReplCommands.command(line: ":top-k 5", state: &state)
        XCTAssertEqual(ReplCommands.command(line: ":top-k off", state: &state), .show("top-k off"))
        XCTAssertNil(state.settings.topK)
    }

    func testReplCommands_topKRefusesBadValues() {
        assertRefused(":top-k 0", saying: "must be an integer ≥ 1, got 0 (or off)")
        assertRefused(":top-k 2.5", saying: "needs an integer ≥ 1 or off, got 2.5")
        assertRefused(":top-k", saying: "usage: :top-k N")
    }

    func testReplCommands_topPSetsAndClears() {
        XCTAssertEqual(run(":top-p 0.9").1.settings.topP, 0.9)
        XCTAssertEqual(run(":top-p 1").1.settings.topP, 1)
        XCTAssertNil(run(":top-p off").1.settings.topP)
    }

    func testReplCommands_topPRefusesBadValues() {
        assertRefused(":top-p 0", saying: "must be in (0, 1], got 0.0 (or off)")
        assertRefused(":top-p 1.5", saying: "must be in (0, 1], got 1.5")
        assertRefused(":top-p most", saying: "needs a number in (0, 1] or off, got most")
        assertRefused(":top-p", saying: "usage: :top-p P")
    }

    func testReplCommands_lenSetsTheLength() {
        let (outcome, state) = run(":len 1000")
        XCTAssertEqual(outcome, .show("length 1000"))
        XCTAssertEqual(state.length, 1000)
        XCTAssertEqual(run(":len 0").1.length, 0)
    }

    func testReplCommands_lenRefusesBadValues() {
        assertRefused(":len -5", saying: "must be an integer from 0 to 10000000, got -5")
        assertRefused(":len 10000001", saying: "must be an integer from 0 to 10000000")
        assertRefused(":len lots", saying: "must be an integer from 0 to 10000000, got lots")
        assertRefused(":len", saying: "usage: :len N")
    }

    func testReplCommands_seedShowsOrRestartsTheStream() {
        XCTAssertEqual(run(":seed").0, .show("seed 7"))
        let (outcome, state) = run(":seed 42")
        XCTAssertEqual(outcome, .reseed("seed 42"))
        XCTAssertEqual(state.seed, 42)
        assertRefused(":seed -1", saying: "must be an integer from 0 to 18446744073709551615, got -1")
        assertRefused(":seed 1 2", saying: "usage: :seed [N]")
    }

    func testReplCommands_loadAndSaveTakeTheRestOfTheLine() {
        XCTAssertEqual(run(":load checkpoints/my run/best.safetensors").0, .load("checkpoints/my run/best.safetensors"))
        XCTAssertEqual(run(":save  out.txt ").0, .save("out.txt"))
        assertRefused(":load", saying: "usage: :load CHECKPOINT")
        assertRefused(":save   ", saying: "usage: :save FILE")
    }

    func testReplCommands_resetInfoSettingsHelpQuit() {
        XCTAssertEqual(run(":reset").0, .reset)
        XCTAssertEqual(run(":info").0, .info)
        XCTAssertEqual(run(":settings").0, .show("temperature 0.8 · top-k off · top-p off · length 400 · seed 7"))
        XCTAssertEqual(run(":help").0, .show(ReplCommands.helpText))
        XCTAssertEqual(run(":quit").0, .quit)
        XCTAssertEqual(run(":q").0, .quit)
        assertRefused(":reset now", saying: "usage: :reset")
        assertRefused(":quit please", saying: "usage: :quit")
    }

    func testReplCommands_unknownCommandPointsToHelp() {
        assertRefused(":tmp 1", saying: "unknown command :tmp (see :help)")
        assertRefused(":", saying: "see :help")
    }

    func testReplCommands_helpListsEveryCommandOnce() {
        for name in [":temp", ":top-k", ":top-p", ":len", ":seed", ":reset", ":load", ":save", ":info", ":settings", ":help", ":quit"] {
            XCTAssertEqual(ReplCommands.helpText.components(separatedBy: "\n  \(name) ").count, 2, name)
        }
    }

    func testReplCommands_completesCommandNames() {
        XCTAssertEqual(ReplCommands.completions(of: ":t"), [":temp", ":top-k", ":top-p"])
        XCTAssertEqual(ReplCommands.completions(of: ":lo"), [":load"])
        XCTAssertEqual(ReplCommands.completions(of: ":"), ReplCommands.names)
        XCTAssertEqual(ReplCommands.completions(of: ":x"), [])
    }

    func testReplHistory_followsXDGStateHome() {
        XCTAssertEqual(ReplHistory.path(environment: ["XDG_STATE_HOME": "/tmp/state", "HOME": "/home/a"]),
                       "/tmp/state/charlstm/history")
        XCTAssertEqual(ReplHistory.path(environment: ["HOME": "/home/a"]), "/home/a/.local/state/charlstm/history")
        // The XDG rule: an empty or relative value is ignored.
        XCTAssertEqual(ReplHistory.path(environment: ["XDG_STATE_HOME": "", "HOME": "/home/a"]),
                       "/home/a/.local/state/charlstm/history")
        XCTAssertEqual(ReplHistory.path(environment: ["XDG_STATE_HOME": "state", "HOME": "/home/a"]),
                       "/home/a/.local/state/charlstm/history")
    }

    func testReplCommands_stopAddsListsAndDropsStopStrings() {
        let (added, state) = run(":stop \\n\\n")
        XCTAssertEqual(added, .show("stop at \"\\n\\n\""))
        XCTAssertEqual(state.stops.strings, ["\n\n"])
        var more = state
        XCTAssertEqual(ReplCommands.command(line: ":stop THE END", state: &more), .show("stop at \"\\n\\n\" or \"THE END\""))
        XCTAssertEqual(ReplCommands.command(line: ":stop", state: &more), .show("stop at \"\\n\\n\" or \"THE END\""))
        XCTAssertTrue(more.summary.hasSuffix(" · stop at \"\\n\\n\" or \"THE END\""), more.summary)
        XCTAssertEqual(ReplCommands.command(line: ":stop off", state: &more), .show("no stop strings"))
        XCTAssertTrue(more.stops.isEmpty)
        XCTAssertEqual(run(":stop").0, .show("no stop strings"))
        assertRefused(":stop a\\q", saying: "\\q is not an escape")
    }

    /// Typed in double quotes, as :stop lists them, a stop string keeps the spaces at its ends.
    func testReplCommands_stopInQuotesKeepsSpacesAtItsEnds() {
        let (shown, state) = run(":stop \" a \"")
        XCTAssertEqual(state.stops.strings, [" a "])
        XCTAssertEqual(shown, .show("stop at \" a \""))
        XCTAssertEqual(run(":stop  a ").1.stops.strings, ["a"])
        XCTAssertEqual(run(":stop \"").1.stops.strings, ["\""])
    }

    func testReplCommands_nextTakesAnOptionalCount() {
        XCTAssertEqual(run(":next").0, .next(5))
        XCTAssertEqual(run(":next 12").0, .next(12))
        assertRefused(":next 0", saying: ":next must be an integer from 1 to 1000, got 0")
        assertRefused(":next x", saying: "got x")
        assertRefused(":next 1 2", saying: "usage: :next [N]")
    }

    /// Digits are a rank; a quoted character is itself (digits too); ␣ ⏎ ⇥ are what :next shows them for.
    func testReplCommands_pickTakesARankOrACharacter() {
        XCTAssertEqual(run(":pick 2").0, .pick(.rank(2)))
        XCTAssertEqual(run(":pick 12").0, .pick(.rank(12)))
        XCTAssertEqual(run(":pick '2'").0, .pick(.character("2")))
        XCTAssertEqual(run(":pick ' '").0, .pick(.character(" ")))
        XCTAssertEqual(run(":pick '␣'").0, .pick(.character("␣")))
        XCTAssertEqual(run(":pick e").0, .pick(.character("e")))
        XCTAssertEqual(run(":pick ␣").0, .pick(.character(" ")))
        XCTAssertEqual(run(":pick ⏎").0, .pick(.character("\n")))
        XCTAssertEqual(run(":pick ⇥").0, .pick(.character("\t")))
        assertRefused(":pick", saying: ":pick takes one character")
        assertRefused(":pick ab", saying: "got ab")
        assertRefused(":pick 99999999999999999999999", saying: ":pick takes one character")
    }
}
