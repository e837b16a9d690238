import XCTest
import Foundation

/// Issue #10's generation side through the real binary: stop strings, prompts from files, beam
/// search and log-probabilities in `generate`, and `:stop`, `:next`, `:pick` in the REPL.
final class GenerationChoicesTests: SampledModelTestCase {
    func generate(_ arguments: [String]) throws -> CommandResult {
        try workspace.run(["generate", "--checkpoint", "checkpoints/tiny"] + arguments)
    }

    func samples(_ run: CommandResult, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        XCTAssertEqual(run.status, 0, run.stderr, file: file, line: line)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], file: file, line: line)
        return try XCTUnwrap(object["samples"] as? [String], file: file, line: line)
    }

    /// `text` ends right after its first occurrence of one of `stops` (checked after `prompt`,
    /// where a stop may begin but not end), or holds none and has `length` characters.
    func assertEndsAtFirstStop(_ text: String, prompt: String, stops: [String], length: Int,
                               file: StaticString = #filePath, line: UInt = #line) {
        let written = Array(text.unicodeScalars.dropFirst(prompt.unicodeScalars.count))
        let whole = Array(text.unicodeScalars)
        func endsWithStop(_ end: Int) -> Bool {
            stops.contains { stop in
                let s = Array(stop.unicodeScalars)
                return end >= s.count && Array(whole[(end - s.count)..<end]) == s
            }
        }
        let firstEnd = (prompt.unicodeScalars.count + 1...max(whole.count, prompt.unicodeScalars.count + 1)).first(where: endsWithStop)
        if let firstEnd {
            XCTAssertEqual(firstEnd, whole.count, "\(text.debugDescription) runs on past a stop string", file: file, line: line)
        } else {
            XCTAssertEqual(written.count, length, "\(text.debugDescription) ended without a stop string", file: file, line: line)
        }
    }

    func testGenerate_stopEndsTheTextRightAfterTheFirstOccurrence() throws {
        let free = try samples(generate(["--prompt", "the", "--length", "300", "--seed", "2", "--json"]))[0]
        let stops = ["\n", "war"]
        let stopped = try samples(generate(["--prompt", "the", "--length", "300", "--seed", "2", "--json",
                                            "--stop", "\\n", "--stop", "war"]))[0]
        let ends = stops.compactMap { free.range(of: $0, range: free.index(free.startIndex, offsetBy: 3)..<free.endIndex)?.upperBound }
        let expected = ends.min().map { String(free[..<$0]) } ?? free
        XCTAssertEqual(stopped, expected)
        XCTAssertLessThan(stopped.count, free.count, "the test needs a sample holding a stop string: \(free.debugDescription)")
        assertEndsAtFirstStop(stopped, prompt: "the", stops: stops, length: 300)
    }

    func testGenerate_stopAppliesToEverySampleOfCountAndToOutput() throws {
        let arguments = ["--prompt", "the", "--length", "200", "--seed", "4", "--count", "4", "--stop", "e\\n", "--stop", "n "]
        let run = try generate(arguments + ["--output", "stopped.txt"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let file = try String(contentsOfFile: workspace.path("stopped.txt"), encoding: .utf8)
        XCTAssertEqual(file, try generate(arguments).stdout)
        let written = file.components(separatedBy: "\n").filter { $0.hasPrefix("----- sample ") }
        XCTAssertEqual(written.count, 4, file)
        let texts = try samples(generate(arguments + ["--json"]))
        XCTAssertEqual(texts.count, 4)
        XCTAssertTrue(texts.contains { $0.hasSuffix("n ") || $0.hasSuffix("e\n") }, "\(texts)")
        for text in texts { assertEndsAtFirstStop(text, prompt: "the", stops: ["e\n", "n "], length: 200) }
        XCTAssertTrue(run.stderr.contains("wrote \(texts.map { $0.unicodeScalars.count - 3 }.reduce(0, +)) characters to stopped.txt"), run.stderr)
    }

    func testGenerate_badStopStringsExit2() throws {
        for (stop, message) in [("", "--stop must not be empty"), ("a\\x", "--stop a\\x: \\x is not an escape")] {
            try generate(["--stop", stop]).assertRefused(saying: message, stop)
        }
    }

    /// A 100,000-character prompt file, generated here, primes the model and is written out
    /// in front of the continuation.
    func testGenerate_promptFileOfAHundredThousandCharacters() throws {
        var text = ""
        var seed: UInt64 = 40
        while text.unicodeScalars.count < 100_000 { text += GeneratedText.words(500, seed: seed); seed += 1 }
        text = String(text.unicodeScalars.prefix(100_000))
        try workspace.write(text, to: "long-prompt.txt")
        let sample = try samples(generate(["--prompt-file", "long-prompt.txt", "--length", "50", "--seed", "3", "--json"]))[0]
        XCTAssertEqual(sample.unicodeScalars.count, 100_050)
        XCTAssertTrue(sample.hasPrefix(text))
        let continuation = try generate(["--prompt-file", "long-prompt.txt", "--length", "50", "--seed", "3", "--no-prompt"])
        XCTAssertEqual(continuation.status, 0, continuation.stderr)
        XCTAssertEqual(continuation.stdout, String(sample.unicodeScalars.suffix(50)))
    }

    func testGenerate_promptFileProblemsExit2() throws {
        try workspace.write(bytes: Array("the ki".utf8) + [0xFF] + Array("ng".utf8), to: "bad.txt")
        try workspace.write("the Zoo", to: "unknown.txt")
        let cases: [([String], String)] = [
            (["--prompt-file", "bad.txt"], "--prompt-file bad.txt: invalid UTF-8 at byte offset 6"),
            (["--prompt-file", "missing.txt"], "--prompt-file missing.txt: no such file"),
            (["--prompt-file", "checkpoints"], "--prompt-file checkpoints: cannot read it (it is a folder"),
            (["--prompt-file", "unknown.txt"], "--prompt-file unknown.txt: the text holds characters the model does not know: 'Z' (U+005A)"),
            (["--prompt-file", "unknown.txt", "--prompt", "the"], "--prompt and --prompt-file both give a prompt"),
        ]
        for (arguments, message) in cases { try generate(arguments + ["--length", "5"]).assertRefused(saying: message, "\(arguments)") }
        let skipped = try generate(["--prompt-file", "unknown.txt", "--skip-unknown", "--length", "5", "--seed", "1"])
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertTrue(skipped.stdout.hasPrefix("the oo"), skipped.stdout)
    }

    func testGenerate_beamIsDeterministicHonoursStopsAndReportsItsLogProbability() throws {
        let first = try generate(["--prompt", "the", "--length", "80", "--beam", "4", "--json", "--seed", "1"])
        let second = try generate(["--prompt", "the", "--length", "80", "--beam", "4", "--json", "--seed", "2"])
        XCTAssertEqual(try samples(first), try samples(second))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["beam"] as? Int, 4)
        let logProbability = try XCTUnwrap((object["log_probabilities"] as? [Double])?.first)
        XCTAssertLessThan(logProbability, 0)
        // Width 1 is greedy decoding.
        let beamOne = try generate(["--prompt", "the", "--length", "80", "--beam", "1"])
        XCTAssertEqual(beamOne.stdout, try generate(["--prompt", "the", "--length", "80", "--temperature", "0"]).stdout)
        let stopped = try samples(generate(["--prompt", "the", "--length", "80", "--beam", "4", "--stop", " ", "--json"]))[0]
        assertEndsAtFirstStop(stopped, prompt: "the", stops: [" "], length: 80)
        let output = try generate(["--prompt", "the", "--length", "80", "--beam", "4", "--output", "beam.txt"])
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertEqual(try String(contentsOfFile: workspace.path("beam.txt"), encoding: .utf8), try samples(first)[0])
    }

    func testGenerate_beamRefusesWhatItCannotHonour() throws {
        let cases: [([String], String)] = [
            (["--beam", "0"], "--beam must be an integer from 1 to 1000, got 0"),
            (["--beam", "-3"], "--beam must be an integer from 1 to 1000, got -3"),
            (["--beam", "1001"], "--beam must be an integer from 1 to 1000"),
            (["--beam", "2", "--temperature", "0.5"], "--beam finds the one most likely text under the model's own probabilities, so it does not take --temperature"),
            (["--beam", "2", "--top-k", "3"], "--beam finds the one most likely text under the model's own probabilities, so it does not take --top-k"),
            (["--beam", "2", "--top-p", "0.5"], "--beam finds the one most likely text under the model's own probabilities, so it does not take --top-p"),
            (["--beam", "2", "--count", "2"], "--beam finds the one most likely text under the model's own probabilities, so it does not take --count"),
            (["--beam", "1000", "--length", "1000000"], "--beam × --length must be at most 100000000"),
        ]
        for (arguments, message) in cases { try generate(arguments).assertRefused(saying: message, "\(arguments)") }
    }

    /// `repl --prompt-file`: the file is read as text (a line starting with ':' in it is not a
    /// command) and continued as the first turn; its problems exit 2 like generate's.
    func testRepl_promptFileIsTheFirstTurn() throws {
        try workspace.write("the king\n:quit\nrode", to: "prompt.txt")
        try workspace.write(":len 7\n\n", to: "input.txt")
        let run = try workspace.run(["repl", "--checkpoint", "checkpoints/tiny", "--prompt-file", "prompt.txt", "--seed", "1",
                                     "--length", "25"], shellPrefix: "exec < input.txt")
        XCTAssertEqual(run.status, 0, run.stderr)
        // The model does not know ':' (the REPL skips it with a note; generate needs --skip-unknown).
        XCTAssertTrue(run.stderr.contains("':' (U+003A)"), run.stderr)
        let generated = try workspace.run(["generate", "--checkpoint", "checkpoints/tiny", "--prompt-file", "prompt.txt",
                                           "--seed", "1", "--length", "25", "--no-prompt", "--skip-unknown"])
        XCTAssertEqual(generated.status, 0, generated.stderr)
        XCTAssertTrue(run.stdout.hasPrefix(generated.stdout), "\(run.stdout.debugDescription) after \(generated.stdout.debugDescription)")
        let rest = run.stdout.dropFirst(generated.stdout.count).drop { $0 == "\n" }
        XCTAssertTrue(rest.hasPrefix("length 7\n"), run.stdout)
        try workspace.write(bytes: [0x74, 0xC3], to: "cut.txt")
        try workspace.run(["repl", "--checkpoint", "checkpoints/tiny", "--prompt-file", "cut.txt"])
            .assertRefused(saying: "--prompt-file cut.txt: invalid UTF-8 at byte offset 1", "repl --prompt-file cut.txt")
    }

    /// `:stop` in the REPL through a pipe: each answer ends right after the stop string, which
    /// may begin in the previous answer; `:stop off` lifts it.
    func testRepl_stopEndsEachAnswerRightAfterTheStopString() throws {
        try workspace.write("the\n:stop \\n\n:stop\nthe\n\n\n:stop off\n\n", to: "stop.txt")
        let run = try workspace.run(["repl", "--checkpoint", "checkpoints/tiny", "--seed", "5", "--length", "120", "--stop", "war"],
                                    shellPrefix: "exec < stop.txt")
        XCTAssertEqual(run.status, 0, run.stderr)
        let answers = run.stdout.components(separatedBy: "\n")
        XCTAssertTrue(answers[0].hasSuffix("war") || answers[0].unicodeScalars.count == 120, answers[0])
        XCTAssertFalse(answers[0].dropLast(3).contains("war"), answers[0])
        XCTAssertTrue(run.stdout.contains("stop at \"war\" or \"\\n\"\n"), run.stdout)
        // With "\n" a stop string, an answer is one line (the line break ends it, and the REPL adds none).
        let afterList = run.stdout.components(separatedBy: "stop at \"war\" or \"\\n\"\n")[2]
        let lines = afterList.components(separatedBy: "\n")
        XCTAssertTrue(lines[0...2].allSatisfy { !$0.dropLast(3).contains("war") && $0.unicodeScalars.count <= 120 }, afterList)
        XCTAssertEqual(lines[3], "no stop strings")
        // Without stop strings the last answer has its full length (line breaks and all).
        let last = afterList.components(separatedBy: "no stop strings\n")[1]
        // (120 characters, then the line break the REPL adds unless the last one was a line break)
        XCTAssertTrue([120, 121].contains(last.unicodeScalars.count), last)
    }

    /// `:next` and `:pick` through a pipe: probabilities descending, at most 1 in sum; picking by
    /// rank and by character reads that character; bad picks are answered and the REPL goes on.
    func testRepl_nextAndPickThroughAPipe() throws {
        try workspace.write(":next\n:pick 2\n:pick k\n:pick 9\n:pick Z\n:next 40\n:pick ␣\n:quit\n", to: "choices.txt")
        let run = try workspace.run(["repl", "--checkpoint", "checkpoints/tiny", "--prompt", "the", "--length", "0"],
                                    shellPrefix: "exec < choices.txt")
        XCTAssertEqual(run.status, 0, run.stderr)
        let lists = try parseChoiceLists(run.stdout)
        XCTAssertEqual(lists.map(\.rows.count), [5, 5, 5, 24, 24], run.stdout)  // 24 characters in the vocabulary
        XCTAssertEqual(lists[0].context, "the")
        for list in lists {
            XCTAssertEqual(list.rows.map(\.probability), list.rows.map(\.probability).sorted(by: >), run.stdout)
            XCTAssertLessThanOrEqual(list.rows.map(\.probability).reduce(0, +), 1)
        }
        XCTAssertEqual(lists[3].rows.map(\.probability).reduce(0, +), 1, accuracy: 1e-4)
        // :pick 2 read the second choice, :pick k the letter k, :pick ␣ a space.
        XCTAssertEqual(lists[1].context, "the" + lists[0].rows[1].character)
        XCTAssertEqual(lists[2].context, lists[1].context + "k")
        XCTAssertEqual(lists[4].context, lists[3].context + " ")
        XCTAssertTrue(run.stderr.contains(":pick 9: the last list has ranks 1 to 5"), run.stderr)
        XCTAssertTrue(run.stderr.contains(":pick: the model does not know 'Z' (U+005A)"), run.stderr)
    }

    /// The same on a terminal, as a person uses it.
    func testRepl_nextAndPickOnATerminal() throws {
        let terminal = try PseudoTerminal(["repl", "--checkpoint", "checkpoints/tiny", "--length", "0"], in: workspace.folder,
                                          environment: ["TERM": "dumb", "XDG_STATE_HOME": workspace.path("state"),
                                                        "HOME": workspace.folder, "PATH": "/usr/bin:/bin"])
        XCTAssertNotNil(terminal.waitFor("> "), "no prompt")
        terminal.type("the king\r")
        XCTAssertNotNil(terminal.waitFor("\n> "))
        terminal.type(":next 3\r")
        let list = try XCTUnwrap(terminal.waitFor("\n> "))
        XCTAssertTrue(list.contains("after \"the king\":"), list)
        let first = try XCTUnwrap(list.components(separatedBy: "\r\n").first { $0.hasPrefix("  1  ") })
        let character = first.split(separator: " ")[1]
        terminal.type(":pick 1\r")
        let next = try XCTUnwrap(terminal.waitFor("\n> "))
        XCTAssertTrue(next.contains("after \"the king" + (character == "␣" ? " " : character == "⏎" ? "⏎" : String(character)) + "\":"), next)
        XCTAssertTrue(next.contains("  3  "), next)
        terminal.type(":pick 7\r")
        XCTAssertNotNil(terminal.waitFor("the last list has ranks 1 to 3"))
        terminal.type(":quit\r")
        XCTAssertEqual(terminal.waitForExit(), 0)
    }

    struct ChoiceList {
        var context: String
        var rows: [(character: String, probability: Double)]
    }

    /// The lists `:next` and `:pick` printed: 'after "CONTEXT":' then '  RANK  CHARACTER  PROBABILITY' rows.
    func parseChoiceLists(_ output: String) throws -> [ChoiceList] {
        var lists = [ChoiceList]()
        for line in output.components(separatedBy: "\n") {
            if line.hasPrefix("after \"") && line.hasSuffix("\":") {
                let context = String(line.dropFirst(7).dropLast(2)).replacingOccurrences(of: "⏎", with: "\n")
                lists.append(ChoiceList(context: context, rows: []))
            } else if line.hasPrefix("  "), !lists.isEmpty {
                let fields = line.split(separator: " ")
                XCTAssertEqual(fields.count, 3, line)
                XCTAssertEqual(Int(fields[0]), lists[lists.count - 1].rows.count + 1, line)
                let shown = String(fields[1])
                let character = shown == "␣" ? " " : shown == "⏎" ? "\n" : shown
                lists[lists.count - 1].rows.append((character, try XCTUnwrap(Double(fields[2]), line)))
            }
        }
        return lists
    }
}

/// The bar for beam search: on a 2×128 model trained by the binary (fixed seed, generated
/// text), `--beam 8` finds text at least as likely as greedy decoding's, for several prompts.
final class BeamSearchCommandTests: XCTestCase {
    func testGenerate_beamOfEightIsAtLeastAsLikelyAsGreedyOnATrained2x128Model() throws {
        let workspace = try Workspace()
        try workspace.write(GeneratedText.words(6000, seed: 8), to: "words.txt")
        let train = try workspace.run(["train", "words.txt", "--run", "m", "--layers", "2", "--hidden", "128", "--embedding", "16",
                                       "--batch", "16", "--seq", "32", "--steps", "150", "--eval-every", "150", "--seed", "3"])
        XCTAssertEqual(train.status, 0, train.stderr)
        func logProbability(_ arguments: [String]) throws -> (String, Double) {
            let run = try workspace.run(["generate", "--checkpoint", "checkpoints/m", "--length", "150", "--json"] + arguments)
            XCTAssertEqual(run.status, 0, run.stderr)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            return ((object["samples"] as! [String])[0], (object["log_probabilities"] as! [Double])[0])
        }
        for prompt in ["the king", "queen said", "over hills"] {
            let (greedyText, greedy) = try logProbability(["--prompt", prompt, "--temperature", "0"])
            let (beamText, beam) = try logProbability(["--prompt", prompt, "--beam", "8"])
            print("beam vs greedy: \(prompt.debugDescription): greedy \(greedy) nats, beam 8 \(beam) nats")
            XCTAssertGreaterThanOrEqual(beam, greedy, "\(prompt): beam \(beamText.debugDescription), greedy \(greedyText.debugDescription)")
            XCTAssertLessThan(beam, 0)
        }
    }
}

private extension String {
    func range(of other: String, range: Range<String.Index>) -> Range<String.Index>? {
        self.range(of: other, options: [], range: range)
    }
}
