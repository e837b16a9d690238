import Foundation
import Kernels
import XCTest

/// Fuzzing through the real binary: every numeric option of train, generate, repl and eval
/// with values no one should type, damaged checkpoints handed to info and generate, and a
/// REPL fed thousands of hostile lines through a pipe. The contract each time: exit status 0,
/// 1 (a runtime failure such as a diverged run) or 2 (bad input); never a signal; a failure
/// says what went wrong in one "charlstm: " line.
final class CommandLineFuzzTests: SampledModelTestCase {
    /// Values for a numeric option: bounds, signs, overflow, non-finite, not a number at all.
    static let hostileValues = ["0", "-0", "-1", "1.5", "99999999999999999999", "1e39", "-1e39", "nan", "inf", "-inf",
                                "", "x", "0x10", " 7", "1e3", "٣"]

    /// Each subcommand with a quick valid invocation, and its numeric options.
    static let commands: [(base: [String: String], fixed: [String], options: [String])] = [
        (["--layers": "1", "--hidden": "8", "--embedding": "4", "--batch": "4", "--seq": "8", "--steps": "2", "--eval-every": "0"],
         ["train", "words.txt"],
         ["layers", "hidden", "embedding", "dropout", "batch", "seq", "lr", "lr-decay", "clip", "epochs", "steps", "minutes",
          "val-fraction", "eval-every", "keep", "seed", "threads"]),
        (["--length": "20", "--seed": "1"], ["generate", "--checkpoint", "checkpoints/tiny"],
         ["length", "temperature", "top-k", "top-p", "seed", "count", "beam"]),
        (["--length": "20", "--seed": "1"], ["repl", "--checkpoint", "checkpoints/tiny", "--prompt", "the"],
         ["length", "temperature", "top-k", "top-p", "seed"]),
        ([:], ["eval", "checkpoints/tiny", "words.txt"], ["streams", "window"]),
    ]

    /// Runs every command line, a few at a time, and returns the results in order.
    func runAll(_ lines: [[String]]) throws -> [CommandResult] {
        var results = [CommandResult?](repeating: nil, count: lines.count)
        let width = 4
        for batch in stride(from: 0, to: lines.count, by: width) {
            let running = try (batch ..< min(batch + width, lines.count)).map { ($0, try workspace.start(lines[$0])) }
            for (index, command) in running {
                results[index] = command.wait(timeout: 120) ?? command.kill()
            }
        }
        return results.map { $0! }
    }

    /// Checks the exit-status and one-line contract; returns the status.
    @discardableResult
    func assertContract(_ result: CommandResult, _ line: [String], file: StaticString = #filePath, line number: UInt = #line) -> Int32 {
        let shown = "charlstm \(line.joined(separator: " ")) → \(result.status): \(result.stderr.suffix(500))"
        XCTAssertTrue([0, 1, 2].contains(result.status), shown, file: file, line: number)
        XCTAssertFalse(result.stderr.contains("Fatal error") || result.stderr.contains("Backtrac"), shown, file: file, line: number)
        if result.status != 0 {
            XCTAssertEqual(result.errorLines.count, 1, shown, file: file, line: number)
            XCTAssertEqual(result.stderrLines.last, result.errorLines.first, shown, file: file, line: number)
        }
        if result.status == 2 { XCTAssertEqual(result.stderrLines.count, 1, shown, file: file, line: number) }
        return result.status
    }

    func testCommandLine_everyNumericOptionWithHostileValuesExitsCleanly() throws {
        var lines = [[String]]()
        for (base, fixed, options) in Self.commands {
            for option in options {
                for value in Self.hostileValues {
                    var arguments = base
                    arguments["--\(option)"] = nil
                    var line = fixed + arguments.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] } + ["--\(option)=\(value)"]
                    if fixed[0] == "train" { line += ["--run", "fuzz-\(lines.count)"] }
                    lines.append(line)
                }
            }
        }
        // Beyond single options: a missing value, an option twice, a stray "--", a huge prompt,
        // control characters in the prompt, an unknown subcommand and option.
        lines += [["generate", "--checkpoint", "checkpoints/tiny", "--length"], ["generate", "--length", "5", "--length", "6", "--seed", "1"],
                  ["generate", "--", "--length", "5"], ["generate", "--length", "5", "--prompt", String(repeating: "the king ", count: 12_000)],
                  ["generate", "--length", "5", "--prompt", "\u{1}\u{7F}\u{1B}[31m"], ["repl", "--prompt", "\u{7}\u{8}\u{FEFF}", "--length", "3"],
                  ["frobnicate"], ["generate", "--frobnicate"], ["info", "--json", "--json", "checkpoints/tiny"], ["eval"], ["info"]]
        let results = try runAll(lines)
        var counts = [Int32: Int]()
        for (line, result) in zip(lines, results) {
            counts[assertContract(result, line), default: 0] += 1
            if result.status == 2, line.count > 2, let option = line.last?.split(separator: "=").first, option.hasPrefix("--") {
                XCTAssertTrue(result.stderr.contains(option), "the message should name \(option): \(result.stderr)")
            }
        }
        XCTAssertGreaterThan(counts[2] ?? 0, lines.count / 2)
        print("fuzz: \(lines.count) command lines (\(Self.hostileValues.count) hostile values × every numeric option of train, generate, repl, eval, and 11 malformed lines): \(counts[0] ?? 0) ran, \(counts[1] ?? 0) failed at run time, \(counts[2] ?? 0) refused as bad input; no signal")
    }

    /// Truncated and bit-flipped copies of a real checkpoint, through `info` and `generate`:
    /// refused in one line naming the file, or (a harmless flip) read exactly as the original.
    func testCheckpointArgument_damagedFilesAreRefusedInOneLine() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: workspace.path("checkpoints/tiny/best.safetensors")))
        let originalInfo = try workspace.run(["info", "checkpoints/tiny/best.safetensors", "--json"]).stdout
        var rng = SeededGenerator(seed: 99)
        var lines = [[String]]()
        for index in 0..<120 {
            var bytes = original
            if index % 2 == 0 {
                bytes = bytes.prefix(Int(rng.next() % UInt64(bytes.count)))
            } else {
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    let position = Int(rng.next() % UInt64(index % 4 == 1 ? 2048 : bytes.count))
                    bytes[position] ^= UInt8(truncatingIfNeeded: 1 | rng.next())
                }
            }
            let name = "damaged-\(index).safetensors"
            try bytes.write(to: URL(fileURLWithPath: workspace.path(name)))
            lines.append(index % 3 == 0 ? ["generate", "--checkpoint", name, "--length", "10", "--seed", "1"] : ["info", name, "--json"])
        }
        let results = try runAll(lines)
        var refused = 0, harmless = 0
        for (line, result) in zip(lines, results) {
            let name = line[0] == "info" ? line[1] : line[2]
            if assertContract(result, line) == 0 {
                harmless += 1
                if line[0] == "info" { XCTAssertEqual(result.stdout.replacingOccurrences(of: name, with: "checkpoints/tiny/best.safetensors"), originalInfo) }
            } else {
                XCTAssertEqual(result.status, 2, result.stderr)
                XCTAssertTrue(result.stderr.hasPrefix("charlstm: \(name): "), result.stderr)
                refused += 1
            }
        }
        print("fuzz: \(lines.count) damaged checkpoints through info/generate: \(refused) refused in one line, \(harmless) harmless flips read as the original")
    }

    /// Thousands of lines nobody would type — control characters, escape sequences, invalid
    /// UTF-8, characters the model has never seen, 100,000-character lines, commands with
    /// hostile arguments — through `charlstm repl` on a pipe. It reads them all and ends normally.
    func testRepl_hostileInputThroughAPipeIsReadToTheEnd() throws {
        var rng = SeededGenerator(seed: 7)
        func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
        let commands = [":temp", ":top-k", ":top-p", ":len", ":seed", ":reset", ":info", ":settings", ":help", ":load", ":save",
                        ":", "::", ":temp:", ":nosuch", ":len 3 4"]
        let arguments = Self.hostileValues + ["off", "3", "0.5", "checkpoints/tiny", "nowhere/x", "saved.txt"]
        let oddCharacters = ["\u{0}", "\u{1}", "\u{7}", "\u{8}", "\t", "\r", "\u{1B}[2J", "\u{1B}]0;title\u{7}", "\u{7F}", "\u{85}",
                             "\u{200B}", "\u{FEFF}", "\u{202E}", "é", "Z", "日本", "🎉", "\u{10FFFF}", "e\u{301}"]
        var input = Data(":len 3\n".utf8)
        let lines = 3000
        for index in 0..<lines {
            var line = ""
            switch index % 250 == 17 ? 3 : rng.next() % 6 {
            case 0: line = pick(commands) + (rng.next() % 4 == 0 ? "" : " " + pick(arguments))
            case 1: line = (0..<(1 + Int(rng.next() % 12))).map { _ in pick(oddCharacters) }.joined()
            case 2: line = "the " + pick(oddCharacters) + " king"
            case 3: line = index % 250 == 17 ? String(repeating: pick(["the ", "Zé ", "\u{1}"]), count: 25_000) : ""
            default: line = pick(["the", "king", "a", "no more", "sang of war"])
            }
            input.append(Data(line.utf8))
            if rng.next() % 10 == 0 { input.append(contentsOf: [pick([0xFF, 0xC3, 0x80, 0xED]), 0x41]) }
            input.append(0x0A)
        }
        input.append(Data(":len 1000\n:settings\n".utf8))
        try input.write(to: URL(fileURLWithPath: workspace.path("hostile.txt")))

        let result = try workspace.run(["repl", "--checkpoint", "checkpoints/tiny", "--seed", "5"],
                                       shellPrefix: "exec < hostile.txt", timeout: 300)
        XCTAssertEqual(result.status, 0, String(result.stderr.suffix(2000)))
        XCTAssertFalse(result.stderr.contains("Fatal error"))
        // The last line was read and answered: the settings after everything else.
        let last = result.stdout.split(separator: "\n").last ?? ""
        XCTAssertTrue(last.hasPrefix("temperature ") && last.contains(" · length 1000 · seed "), String(result.stdout.suffix(300)))
        print("fuzz: \(lines) hostile REPL lines (\(input.count) bytes) through a pipe: read to the end, exit 0, \(result.stderrLines.count) complaints on stderr")
    }
}
