import Checkpoints
import Foundation
import XCTest

/// `train --resume` from another working directory: the run's corpus is found where it was
/// (not a file of the same name where the user is now), a moved corpus is asked for and can be
/// given again, and a project folder moved as a whole still resumes.
final class ResumeElsewhereTests: XCTestCase {
    static let tinyRun = ["--layers", "1", "--hidden", "8", "--embedding", "4", "--batch", "2", "--seq", "8",
                          "--threads", "1", "--eval-every", "5"]

    /// A workspace with `proj/data/corpus.txt`, a run `proj/checkpoints/r` of 5 steps trained
    /// from inside `proj` with the corpus typed relative, and an empty folder `elsewhere`.
    func projectWithRun() throws -> Workspace {
        let w = try Workspace()
        for folder in ["proj/data", "elsewhere"] {
            try FileManager.default.createDirectory(atPath: w.path(folder), withIntermediateDirectories: true)
        }
        try w.write(GeneratedText.words(400, seed: 6), to: "proj/data/corpus.txt")
        let train = try w.run(["train", "data/corpus.txt", "--run", "r", "--steps", "5"] + Self.tinyRun, shellPrefix: "cd proj")
        XCTAssertEqual(train.status, 0, train.stderr)
        return w
    }

    func latestStep(_ w: Workspace, _ run: String) throws -> Checkpoint {
        let latest = try XCTUnwrap(RunFolder(path: w.path(run)).latestCheckpoint)
        return try Checkpoint.read(from: latest)
    }

    func testResumeFromAnotherFolder_readsTheRecordedCorpusNotOneOfTheSameNameThere() throws {
        let w = try projectWithRun()
        let recorded = try XCTUnwrap(try latestStep(w, "proj/checkpoints/r").training)
        XCTAssertEqual(recorded.corpus, ["data/corpus.txt"])
        let corpusBytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: w.path("proj/data/corpus.txt"))[.size] as? Int)
        XCTAssertEqual(recorded.corpusLocations?.first?.absolutePath, CorpusLocation.absolute(w.path("proj/data/corpus.txt")))
        XCTAssertEqual(recorded.corpusLocations?.first?.bytes, corpusBytes)
        // A different text under the same relative name where the user now is.
        try FileManager.default.createDirectory(atPath: w.path("elsewhere/data"), withIntermediateDirectories: true)
        try w.write(GeneratedText.words(900, seed: 7), to: "elsewhere/data/corpus.txt")

        let resumed = try w.run(["train", "--resume", w.path("proj/checkpoints/r"), "--steps", "10"], shellPrefix: "cd elsewhere")
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("corpus data/corpus.txt: reading \(CorpusLocation.absolute(w.path("proj/data/corpus.txt"))) (the absolute path recorded with the run; \(corpusBytes) bytes in 1 file, as when the run started)"), resumed.stderr)
        XCTAssertEqual(try latestStep(w, "proj/checkpoints/r").position?.step, 10)
        // The run continues in its own folder, its corpus read through the cache beside it.
        XCTAssertFalse(FileManager.default.fileExists(atPath: w.path("elsewhere/checkpoints")), "\(w.files(in: "elsewhere/checkpoints"))")
        XCTAssertTrue(resumed.stderr.contains("token cache: reusing \(w.path("proj/checkpoints/.cache"))"), resumed.stderr)

        let info = try w.run(["info", "proj/checkpoints/r/step-00000010.safetensors"])
        XCTAssertTrue(info.stdout.contains("corpus        data/corpus.txt (at \(CorpusLocation.absolute(w.path("proj/data/corpus.txt"))), \(corpusBytes) bytes in 1 file)"), info.stdout)
    }

    func testMovedCorpus_isAskedForThenGivenAgainAndRecordedWhereItNowIs() throws {
        let w = try projectWithRun()
        try FileManager.default.createDirectory(atPath: w.path("moved"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: w.path("proj/data/corpus.txt"), toPath: w.path("moved/corpus.txt"))
        let run = w.path("proj/checkpoints/r")

        let missing = try w.run(["train", "--resume", run, "--steps", "10"], shellPrefix: "cd elsewhere")
        missing.assertRefused(saying: "cannot resume \(run): its corpus data/corpus.txt is gone (looked at \(CorpusLocation.absolute(w.path("proj/data/corpus.txt"))), data/corpus.txt)", "moved corpus")
        XCTAssertTrue(missing.stderr.contains("give the text again: charlstm train FILE... --resume \(run)"), missing.stderr)

        let given = try w.run(["train", "../moved/corpus.txt", "--resume", run, "--steps", "10"], shellPrefix: "cd elsewhere")
        XCTAssertEqual(given.status, 0, given.stderr)
        XCTAssertEqual(try latestStep(w, "proj/checkpoints/r").position?.step, 10)
        // Recorded where it is now, so the next resume needs no corpus, from anywhere.
        let again = try w.run(["train", "--resume", "proj/checkpoints/r", "--steps", "15"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("reading \(CorpusLocation.absolute(w.path("moved/corpus.txt"))) (the absolute path recorded with the run"), again.stderr)
        XCTAssertEqual(try latestStep(w, "proj/checkpoints/r").position?.step, 15)
    }

    func testProjectFolderMovedAsAWhole_resumesRelativeToWhereTheRunWasStarted() throws {
        let w = try projectWithRun()
        try FileManager.default.moveItem(atPath: w.path("proj"), toPath: w.path("renamed"))
        let resumed = try w.run(["train", "--resume", "../renamed/checkpoints/r", "--steps", "10"], shellPrefix: "cd elsewhere")
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("corpus data/corpus.txt: reading \(CorpusLocation.absolute(w.path("renamed/data/corpus.txt"))) (relative to the folder the run was started in;"),
                      resumed.stderr)
        XCTAssertEqual(try latestStep(w, "renamed/checkpoints/r").position?.step, 10)
    }

    func testEditedCorpus_isUsedWithAWarningThatSaysWhatChanged() throws {
        let w = try projectWithRun()
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: w.path("proj/data/corpus.txt")))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("the king said no more.\n".utf8))
        try handle.close()
        let resumed = try w.run(["train", "--resume", "checkpoints/r", "--steps", "10"], shellPrefix: "cd proj")
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("warning: it now holds"), resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("the run started on"), resumed.stderr)
    }
}
