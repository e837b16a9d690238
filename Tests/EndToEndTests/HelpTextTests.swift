import Foundation
import XCTest

/// What `charlstm help` prints and how options given in two spellings are read.
final class HelpTextTests: XCTestCase {
    /// The subcommands `charlstm help` lists, read from its SUBCOMMANDS section, so a new
    /// command is checked without touching this test.
    func subcommands(_ w: Workspace) throws -> [String] {
        let help = try w.run(["help"]).stdout
        let section = try XCTUnwrap(help.components(separatedBy: "SUBCOMMANDS:").last)
        return section.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("  "), let name = line.split(separator: " ").first,
                  name.first?.isLetter == true, name != "See" else { return nil }
            return String(name)
        }
    }

    /// Each option's entry in a help page: its first line and the indented lines that continue it.
    func optionEntries(_ help: String) -> [String] {
        var entries = [String]()
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  -") { entries.append(String(line)) } else if line.hasPrefix("      "), !entries.isEmpty {
                entries[entries.count - 1] += " " + line.trimmingCharacters(in: .whitespaces)
            } else if !line.hasPrefix("  ") {
                // A new section (OPTIONS:, ARGUMENTS:) or a blank line ends the entry.
                if let last = entries.last, !last.isEmpty { entries.append("") }
            }
        }
        return entries.filter { !$0.isEmpty }
    }

    static let statedDefault = try! NSRegularExpression(pattern: "\\(default\\b|\\bdefault:", options: [.caseInsensitive])

    func testHelpOfEveryCommand_statesEachDefaultOnce() throws {
        let w = try Workspace()
        let commands = try subcommands(w)
        XCTAssertTrue(commands.contains("train") && commands.contains("eval") && commands.contains("inspect"), "\(commands)")
        for command in commands {
            let help = try w.run(["help", command])
            XCTAssertEqual(help.status, 0, "help \(command): \(help.stderr)")
            let entries = optionEntries(help.stdout)
            XCTAssertFalse(entries.isEmpty, "help \(command) lists no options")
            for entry in entries {
                // A stated default: ours "(default 50)" or "Default: …", the parser's "(default: 50)".
                let range = NSRange(entry.startIndex..., in: entry)
                XCTAssertLessThanOrEqual(Self.statedDefault.numberOfMatches(in: entry, range: range), 1, "help \(command): \(entry)")
            }
        }
    }

    /// `--hidden -3` and `--hidden=-3` are the same request, so they get the same answer: the
    /// option's own range message, not the parser's "Missing value".
    func testNegativeNumberAsSeparateArgument_getsTheSameMessageAsWithEquals() throws {
        let w = try Workspace()
        try w.write(GeneratedText.words(300, seed: 2), to: "corpus.txt")
        let cases: [(prefix: [String], option: String, value: String, message: String)] = [
            (["train", "corpus.txt"], "--hidden", "-3", "--hidden must be at least 1 (got -3)"),
            (["train", "corpus.txt"], "--lr", "-0.5", "--lr must be a positive number"),
            (["train", "corpus.txt"], "--clip", "-1e-3", "--clip must be ≥ 0"),
            (["train", "corpus.txt"], "--minutes", "-inf", "--minutes must be a positive number"),
            (["eval", "none.safetensors", "corpus.txt"], "--streams", "-2", "--streams must be between 1 and 100000"),
            (["generate"], "--temperature", "-1", "--temperature"),
            (["inspect", "none.safetensors", "--text", "corpus.txt", "--json"], "--warmup", "-5", "--warmup must be between 0"),
        ]
        for c in cases {
            let separate = try w.run(c.prefix + [c.option, c.value])
            let joined = try w.run(c.prefix + ["\(c.option)=\(c.value)"])
            separate.assertRefused(saying: c.message, "\(c.option) \(c.value)")
            XCTAssertEqual(separate.stderr, joined.stderr, "\(c.option) \(c.value)")
            XCTAssertEqual(separate.status, joined.status)
        }
    }

    /// After `--` every argument is positional: a text file named `-3` is read, not joined to the option before it.
    func testArgumentsAfterDoubleDash_areLeftAlone() throws {
        let w = try Workspace()
        try w.write(GeneratedText.words(300, seed: 2), to: "-3")
        let result = try w.run(["train", "--run", "r", "--steps", "2", "--layers", "1", "--hidden", "8", "--batch", "2",
                                "--seq", "8", "--threads", "1", "--", "-3"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: w.path("checkpoints/r/step-00000002.safetensors")))
    }
}

/// The completion scripts the README points to.
final class CompletionScriptTests: XCTestCase {
    func testCompletionScripts_completeEveryCommand() throws {
        let w = try Workspace()
        for shell in ["bash", "zsh", "fish"] {
            let script = try w.run(["--generate-completion-script", shell])
            XCTAssertEqual(script.status, 0, "\(shell): \(script.stderr)")
            for command in ["train", "generate", "repl", "eval", "info", "inspect"] {
                XCTAssertTrue(script.stdout.contains(command), "\(shell) completion lacks \(command)")
            }
        }
        try w.run(["--generate-completion-script", "tcsh"]).assertRefused(saying: "Can't generate completion scripts for 'tcsh'", "tcsh")
    }
}
