import Foundation
import XCTest

/// Every kind of bad input to `charlstm train` (and the numeric options of `eval`) gets
/// exit status 2 and exactly one line on stderr that starts "charlstm: " — never a trap.
final class TrainBadInputTests: XCTestCase {
    var w: Workspace!

    override func setUpWithError() throws {
        w = try Workspace()
        try w.write(GeneratedText.words(3000, seed: 3), to: "text.txt")
    }

    override func tearDown() { w = nil }

    /// A model small enough that the debug build trains it in a blink.
    static let tinyModel = ["--layers", "1", "--hidden", "8", "--embedding", "4", "--batch", "4", "--seq", "8"]

    /// Runs `arguments` and checks the bad-input contract; returns the one error line.
    @discardableResult
    func assertBadInput(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try w.run(arguments, file: file, line: line)
        let shown = "charlstm \(arguments.joined(separator: " ")) → \(result.status): \(result.stderr)"
        XCTAssertEqual(result.status, 2, shown, file: file, line: line)
        XCTAssertEqual(result.stderrLines.count, 1, shown, file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("charlstm: "), shown, file: file, line: line)
        XCTAssertFalse(result.stderr.contains("Fatal error"), shown, file: file, line: line)
        XCTAssertEqual(result.stdout, "", shown, file: file, line: line)
        return result.stderrLines.first ?? ""
    }

    func assertNoRunWritten(file: StaticString = #filePath, line: UInt = #line) {
        // The token cache (`.cache`) may stay: the corpus was fine and the next run reuses it.
        XCTAssertEqual(w.files(in: "checkpoints").filter { !$0.hasPrefix(".") }, [], "a failed start left run folders behind",
                       file: file, line: line)
    }

    func testTrain_emptyFileIsBadInput() throws {
        try w.write("", to: "empty.txt")
        let message = try assertBadInput(["train", "empty.txt", "--run", "r"] + Self.tinyModel)
        XCTAssertTrue(message.contains("empty.txt") && message.contains("empty"), message)
        assertNoRunWritten()
    }

    func testTrain_missingFileIsBadInput() throws {
        let message = try assertBadInput(["train", "no-such-file.txt", "--run", "r"])
        XCTAssertEqual(message, "charlstm: no-such-file.txt: no such file or folder")
        assertNoRunWritten()
    }

    func testTrain_invalidUTF8NamesTheFileAndByteOffset() throws {
        try w.write(bytes: Array("Caf".utf8) + [0xE9] + Array(" au lait, encore du café\n".utf8), to: "latin1.txt")
        let message = try assertBadInput(["train", "latin1.txt", "--run", "r"] + Self.tinyModel)
        XCTAssertTrue(message.hasPrefix("charlstm: latin1.txt: invalid UTF-8 at byte offset 3"), message)
        XCTAssertTrue(message.contains("--replace-invalid"), message)
        assertNoRunWritten()
    }

    func testTrain_replaceInvalidTrainsOnTextWithBadBytes() throws {
        let text = Array(GeneratedText.words(600, seed: 4).utf8)
        try w.write(bytes: Array(text[..<200]) + [0xFF, 0xC3] + Array(text[200...]), to: "mixed.txt")
        let result = try w.run(["train", "mixed.txt", "--replace-invalid", "--run", "r", "--steps", "3"]
                                      + Self.tinyModel)
        XCTAssertEqual(result.status, 0, result.stderr)
        let info = try w.run(["info", "checkpoints/r", "--json"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("\u{FFFD}"), "U+FFFD should be in the vocabulary: \(info.stdout)")
    }

    func testTrain_corpusTooSmallForBatchAndSequenceIsBadInput() throws {
        try w.write("a short text of not many characters at all\n", to: "short.txt")
        let message = try assertBadInput(["train", "short.txt", "--run", "r", "--batch", "10", "--seq", "20"])
        XCTAssertTrue(message.contains("--batch") && message.contains("--seq"), message)
        assertNoRunWritten()
    }

    func testTrain_folderWithOnlyBinaryFilesIsBadInput() throws {
        try FileManager.default.createDirectory(atPath: w.path("data"), withIntermediateDirectories: true)
        try w.write(bytes: [0x7F, 0x45, 0x4C, 0x46, 0, 0, 1], to: "data/blob.bin")
        let message = try assertBadInput(["train", "data", "--run", "r"])
        XCTAssertTrue(message.contains("no text files"), message)
    }

    func testTrain_pipeIsBadInputAndAPipeInAFolderIsSkipped() throws {
        XCTAssertEqual(mkfifo(w.path("pipe"), 0o644), 0)
        let message = try assertBadInput(["train", "pipe", "--run", "r"])
        XCTAssertTrue(message.contains("not a regular file"), message)

        try FileManager.default.createDirectory(atPath: w.path("data"), withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(w.path("data/pipe"), 0o644), 0)
        try w.write(GeneratedText.words(600, seed: 5), to: "data/text.txt")
        let result = try w.run(["train", "data", "--run", "r", "--steps", "2"] + Self.tinyModel, timeout: 60)
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func testTrain_extremeButValidBudgetsNeverTrap() throws {
        for budget in [["--minutes", "1e300", "--steps", "3"], ["--minutes", "1e-300"], ["--epochs", "9223372036854775807", "--steps", "2"],
                       ["--steps", "2", "--eval-every", "9223372036854775807", "--keep", "9223372036854775807"]] {
            let result = try w.run(["train", "text.txt", "--run", "extreme"] + budget + Self.tinyModel, timeout: 60)
            XCTAssertEqual(result.status, 0, "\(budget): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("Fatal error"), result.stderr)
            try? FileManager.default.removeItem(atPath: w.path("checkpoints/extreme"))
        }
    }

    func testTrain_everyBadNumericOptionIsBadInput() throws {
        let bad: [(option: String, values: [String])] = [
            ("layers", ["0", "-1", "nan", "two", "1e9"]), ("hidden", ["0", "-4", "nan", "wide", "99999999"]),
            ("embedding", ["0", "-4", "nan", "x"]), ("batch", ["0", "-1", "nan", "x", "1.5"]),
            ("seq", ["0", "-1", "nan", "x"]), ("epochs", ["0", "-1", "nan", "x"]), ("steps", ["0", "-1", "nan", "x"]),
            ("keep", ["0", "-1", "nan", "x"]), ("threads", ["0", "-1", "nan", "x"]),
            ("lr", ["0", "-0.1", "nan", "inf", "fast"]), ("lr-decay", ["0", "-0.5", "nan", "1.5", "x"]),
            ("clip", ["-1", "nan", "inf", "x"]), ("dropout", ["-0.1", "1", "nan", "x"]),
            ("minutes", ["0", "-1", "nan", "inf", "x"]), ("val-fraction", ["-0.1", "0.9", "nan", "x"]),
            ("eval-every", ["-1", "nan", "x"]), ("seed", ["-1", "nan", "x", "1.5"]),
            ("optimizer", ["adagrad", ""]),
        ]
        var cases = 0
        for (option, values) in bad {
            for value in values {
                let message = try assertBadInput(["train", "text.txt", "--run", "r", "--\(option)=\(value)"])
                XCTAssertTrue(message.contains("--\(option)"), "the message should name --\(option): \(message)")
                cases += 1
            }
        }
        // The spelling with a space: a negative number then looks like an option to the parser.
        for option in ["hidden", "lr", "seed"] {
            try assertBadInput(["train", "text.txt", "--run", "r", "--\(option)", "-3"])
        }
        XCTAssertGreaterThan(cases, 70)
        assertNoRunWritten()
    }

    func testTrain_modelTooBigForTheMachineIsBadInputBeforeAnythingIsAllocated() throws {
        let message = try assertBadInput(["train", "text.txt", "--run", "r", "--layers", "64", "--hidden", "16384"])
        XCTAssertTrue(message.contains("memory") && message.contains("--hidden"), message)
        assertNoRunWritten()
    }

    func testTrain_runNamesThatLeaveTheCheckpointsFolderAreBadInput() throws {
        for name in ["../escape", "a/b", "/tmp/absolute", "..", ".", ".hidden", ""] {
            let message = try assertBadInput(["train", "text.txt", "--run", name] + Self.tinyModel)
            XCTAssertTrue(message.contains("--run"), message)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: w.path("escape")))
        assertNoRunWritten()
    }

    func testTrain_unknownOptionAndMissingCorpusAreBadInput() throws {
        try assertBadInput(["train", "text.txt", "--no-such-option"])
        try assertBadInput(["train"])
        try assertBadInput(["no-such-command"])
    }

    func testEval_badNumericOptionsAndMissingInputsAreBadInput() throws {
        try assertBadInput(["eval", "missing-run", "text.txt"])
        for bad in ["--streams=0", "--streams=-2", "--streams=x", "--window=0", "--window=nan"] {
            try assertBadInput(["eval", "missing-run", "text.txt", bad])
        }
        try assertBadInput(["info", "missing-run"])
        try w.write("not a checkpoint at all", to: "junk.safetensors")
        try assertBadInput(["info", "junk.safetensors"])
    }
}
