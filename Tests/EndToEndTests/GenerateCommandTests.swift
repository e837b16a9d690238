import XCTest
import Foundation

/// `charlstm generate` through the real binary, on a small model trained by the binary itself
/// (once for the class) in a temporary workspace.
final class GenerateCommandTests: SampledModelTestCase {
    func generate(_ arguments: [String]) throws -> CommandResult {
        try workspace.run(["generate", "--checkpoint", "checkpoints/tiny"] + arguments)
    }

    func testGenerate_writesThePromptAndItsContinuation() throws {
        let run = try generate(["--prompt", "the cat", "--length", "60", "--seed", "1"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("the cat"))
        XCTAssertEqual(run.stdout.unicodeScalars.count, 7 + 60)
        XCTAssertTrue(Set(run.stdout.unicodeScalars).isSubset(of: Set(SampledModel.text.unicodeScalars)))
    }

    func testGenerate_noPromptLeavesThePromptOut() throws {
        let with = try generate(["--prompt", "the dog", "--length", "40", "--seed", "3"])
        let without = try generate(["--prompt", "the dog", "--length", "40", "--seed", "3", "--no-prompt"])
        XCTAssertEqual(without.status, 0, without.stderr)
        XCTAssertEqual("the dog" + without.stdout, with.stdout)
    }

    func testGenerate_sameSeedGivesTheSameBytes() throws {
        let arguments = ["--prompt", "sat", "--length", "300", "--seed", "77", "--top-k", "5", "--top-p", "0.95"]
        let first = try generate(arguments), second = try generate(arguments)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.stdout, second.stdout)
    }

    func testGenerate_differentSeedsGiveDifferentText() throws {
        let texts = Set(try (1...3).map { try generate(["--length", "200", "--seed", "\($0)"]).stdout })
        XCTAssertEqual(texts.count, 3)
    }

    func testGenerate_temperatureZeroIsTheSameWhateverTheSeed() throws {
        let a = try generate(["--prompt", "the", "--length", "100", "--temperature", "0", "--seed", "1"])
        let b = try generate(["--prompt", "the", "--length", "100", "--temperature", "0", "--seed", "2"])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertEqual(a.stdout, b.stdout)
    }

    func testGenerate_countWritesSeparatedIndependentSamples() throws {
        let run = try generate(["--prompt", "the", "--length", "50", "--count", "3", "--seed", "5"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let headers = run.stdout.split(separator: "\n").filter { $0.hasPrefix("----- sample ") }
        XCTAssertEqual(headers, ["----- sample 1 of 3 -----", "----- sample 2 of 3 -----", "----- sample 3 of 3 -----"])
    }

    func testGenerate_jsonHoldsTheSamplesSettingsAndSeed() throws {
        let run = try generate(["--prompt", "on", "--length", "30", "--count", "2", "--temperature", "0.7", "--top-k", "4", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let samples = try XCTUnwrap(object["samples"] as? [String])
        XCTAssertEqual(samples.count, 2)
        XCTAssertTrue(samples.allSatisfy { $0.hasPrefix("on") && $0.unicodeScalars.count == 32 })
        XCTAssertEqual(object["temperature"] as? Double, 0.7)
        XCTAssertEqual(object["top_k"] as? Int, 4)
        // The seed reported reproduces the text.
        let seed = try XCTUnwrap(object["seed"] as? UInt64)
        let again = try generate(["--prompt", "on", "--length", "30", "--count", "2", "--temperature", "0.7", "--top-k", "4",
                              "--seed", "\(seed)", "--json"])
        let againObject = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(againObject["samples"] as? [String], samples)
    }

    func testGenerate_outputWritesTheFileAndNothingToStdout() throws {
        let run = try generate(["--prompt", "the", "--length", "500", "--seed", "9", "--output", "out.txt"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout, "")
        let written = try String(contentsOfFile: workspace.path("out.txt"), encoding: .utf8)
        XCTAssertEqual(written, try generate(["--prompt", "the", "--length", "500", "--seed", "9"]).stdout)
        XCTAssertTrue(run.stderr.contains("wrote 500 characters to out.txt"))
    }

    func testGenerate_unwritableOutputExits1NamingItAndWritesNothing() throws {
        let run = try generate(["--length", "50", "--output", "no-such-folder/out.txt"])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.hasPrefix("charlstm: no-such-folder/out.txt: cannot write it"), run.stderr)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1)
        let folderTarget = try generate(["--length", "50", "--output", "checkpoints"])
        XCTAssertEqual(folderTarget.status, 1)
        XCTAssertTrue(folderTarget.stderr.contains("checkpoints: cannot write it (it is a folder)"), folderTarget.stderr)
        let leftovers = workspace.files(in: ".").filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])
    }

    /// A write that fails half-way (here the file-size limit, standing in for a full disk)
    /// leaves neither the target nor the temporary file, and exits 1 naming the file.
    func testGenerate_outputFailingMidwayLeavesNothingAndExits1() throws {
        try Sanitizer.skipUnderAFileSizeLimit()
        let run = try workspace.run(["generate", "--checkpoint", "checkpoints/tiny", "--length", "200000", "--output", "big.txt"],
                                    shellPrefix: "ulimit -f 8; trap '' XFSZ")
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.hasPrefix("charlstm: big.txt: cannot write it (File too large)"), run.stderr)
        XCTAssertFalse(workspace.files(in: ".").contains { $0 == "big.txt" || $0.contains("big.txt.tmp-") })
    }

    func testGenerate_unwritableStdoutExits1() throws {
        let run = try workspace.run(["generate", "--checkpoint", "checkpoints/tiny", "--length", "100000"],
                                    shellPrefix: "exec > /dev/full")
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.hasPrefix("charlstm: cannot write to standard output (No space left on device)"), run.stderr)
    }

    /// Ctrl-C stops a long generation: status 130, and with --output nothing is written.
    func testGenerate_interruptedOutputWritesNothing() throws {
        try assertStoppedOutputWritesNothing(signal: SIGINT)
    }

    /// SIGTERM likewise (status 143), and no temporary file is left in the user's folder.
    func testGenerate_terminatedOutputWritesNothing() throws {
        try assertStoppedOutputWritesNothing(signal: SIGTERM)
    }

    func assertStoppedOutputWritesNothing(signal: Int32) throws {
        let command = try workspace.start(["generate", "--checkpoint", "checkpoints/tiny", "--length", "100000000",
                                           "--output", "long.txt"])
        let deadline = Date().addingTimeInterval(30)
        while !workspace.files(in: ".").contains(where: { $0.hasPrefix(".long.txt.tmp-") }) && Date() < deadline {
            usleep(20_000)
        }
        usleep(300_000)
        kill(command.process.processIdentifier, signal)
        let run = try XCTUnwrap(command.wait(timeout: 30))
        XCTAssertEqual(run.status, 128 + signal, run.stderr)
        XCTAssertTrue(run.stderr.contains("charlstm: interrupted; nothing written to long.txt"), run.stderr)
        XCTAssertFalse(workspace.files(in: ".").contains { $0.contains("long.txt") })
    }

    func testGenerate_unknownPromptCharacterExits2NamingIt() throws {
        let run = try generate(["--prompt", "the Zoo", "--length", "10"])
        XCTAssertEqual(run.status, 2)
        XCTAssertEqual(run.stdout, "")
        XCTAssertTrue(run.stderr.contains("'Z' (U+005A)"), run.stderr)
        XCTAssertTrue(run.stderr.contains("--skip-unknown"), run.stderr)
    }

    func testGenerate_skipUnknownDropsThemWithAWarning() throws {
        let run = try generate(["--prompt", "the Zoo", "--length", "10", "--skip-unknown", "--seed", "1"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("the oo"))
        XCTAssertTrue(run.stderr.contains("warning") && run.stderr.contains("'Z' (U+005A)"), run.stderr)
    }

    func testGenerate_badSettingsExit2WithTheValidRange() throws {
        let cases: [([String], String)] = [
            (["--temperature", "-1"], "--temperature must be a finite number ≥ 0"),
            (["--temperature", "nan"], "--temperature must be a finite number ≥ 0"),
            (["--top-k", "0"], "--top-k must be an integer ≥ 1"),
            (["--top-p", "0"], "--top-p must be in (0, 1]"),
            (["--top-p", "1.5"], "--top-p must be in (0, 1]"),
            (["--length", "-1"], "--length must be an integer ≥ 0"),
            (["--count", "0"], "--count must be an integer ≥ 1"),
            (["--json", "--count", "1000", "--length", "1000000"], "--json keeps the samples in memory"),
            (["--json", "--count", "9223372036854775807", "--length", "2"], "--json keeps the samples in memory"),
        ]
        for (arguments, message) in cases { try generate(arguments).assertRefused(saying: message, "\(arguments)") }
    }

    func testGenerate_findsTheNewestRunWhenNoCheckpointIsNamed() throws {
        let run = try workspace.run(["generate", "--prompt", "the", "--length", "20", "--seed", "4"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout, try generate(["--prompt", "the", "--length", "20", "--seed", "4"]).stdout)
    }

    func testGenerate_missingCheckpointExits2() throws {
        let run = try generate(["--checkpoint", "nowhere.safetensors"])
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.hasPrefix("charlstm: nowhere.safetensors"), run.stderr)
    }
}
