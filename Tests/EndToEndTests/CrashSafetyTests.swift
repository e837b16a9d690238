import Checkpoints
import Foundation
import Kernels
import XCTest

/// The run folder survives anything: kill -9 at random moments, a disk that refuses the write.
final class CrashSafetyTests: XCTestCase {
    /// Checkpoints every 2 steps of a tiny model, so a good share of the run's time is spent
    /// writing files and the kills land in every phase: computing, writing, renaming, pruning.
    static let frequentCheckpoints = ["--layers", "1", "--hidden", "12", "--embedding", "6", "--batch", "4",
                                      "--seq", "12", "--eval-every", "2", "--keep", "3", "--threads", "1",
                                      "--steps", "100000"]

    func testTraining_killedAtRandomMomentsLeavesEveryCheckpointLoadableAndResumable() throws {
        let w = try Workspace()
        try w.write(GeneratedText.words(600, seed: 5), to: "corpus.txt")
        let run = "checkpoints/crash"
        var rng = SeededGenerator(seed: 2024)
        let trials = 24
        var resumedTrials = 0, checkpointsChecked = 0, killedMidWrite = 0
        for trial in 0..<trials {
            let hasCheckpoint = !RunFolder(path: w.path(run)).stepCheckpoints().isEmpty
            let arguments = hasCheckpoint
                ? ["train", "--resume", run]
                : ["train", "corpus.txt", "--run", "crash"] + Self.frequentCheckpoints
            if hasCheckpoint { resumedTrials += 1 }
            let command = try w.start(arguments)
            // From almost at once to well into the run: 20 ms … 1.2 s.
            usleep(UInt32(20_000 + rng.next() % 1_180_000))
            let result = command.kill()
            XCTAssertTrue(result.errorLines.isEmpty, "trial \(trial): \(result.stderr)")
            // The writer names its temporary file after its process id.
            let pid = command.process.processIdentifier
            if w.files(in: run).contains(where: { AtomicFile.isTemporaryName($0) && $0.hasSuffix("-\(pid)") }) { killedMidWrite += 1 }

            for name in w.files(in: run) where name.hasSuffix(".safetensors") && !name.hasPrefix(".") {
                XCTAssertNoThrow(try Checkpoint.read(from: w.path("\(run)/\(name)")), "trial \(trial): \(name) does not load")
                checkpointsChecked += 1
            }
            let steps = RunFolder(path: w.path(run)).stepCheckpoints()
            XCTAssertLessThanOrEqual(steps.count, 3 + 1, "trial \(trial): more step checkpoints than --keep 3 (+1 while pruning)")
        }
        XCTAssertGreaterThanOrEqual(resumedTrials, trials / 2, "most trials should resume a run that has checkpoints")

        // After all that, the run resumes and finishes normally, and nothing is left behind.
        let latest = try XCTUnwrap(RunFolder(path: w.path(run)).stepCheckpoints().last)
        let finish = try w.run(["train", "--resume", run, "--steps", String(latest.step + 4)])
        XCTAssertEqual(finish.status, 0, finish.stderr)
        XCTAssertTrue(finish.stderr.contains("resumed at step \(latest.step)"), finish.stderr)
        let final = try Checkpoint.read(from: w.path("\(run)/step-\(String(format: "%08d", latest.step + 4)).safetensors"))
        XCTAssertEqual(final.position?.step, latest.step + 4)
        XCTAssertEqual(w.files(in: run).filter { $0.hasPrefix(".") }, [], "temporary files left behind")
        XCTAssertNoThrow(try Checkpoint.read(from: w.path("\(run)/best.safetensors")))
        print("kill -9 trials: \(trials) (\(resumedTrials) of them resumed runs, \(killedMidWrite) killed mid-write), checkpoint files checked: \(checkpointsChecked), final step \(latest.step + 4)")
    }

    /// A write that fails part-way (here the file-size limit, as a full disk would) stops the
    /// run with one line naming the file and exit status 1, and leaves no temporary file.
    func testTraining_failedCheckpointWriteReportsOneLineAndLeavesNoTemporaryFile() throws {
        let w = try Workspace()
        try w.write(GeneratedText.words(600, seed: 5), to: "corpus.txt")
        // 16 KiB limit (ulimit counts 1 KiB blocks); the first checkpoint of this model is ~60 KiB.
        // SIGXFSZ ignored, so the write fails with EFBIG instead of killing the process.
        let result = try w.run(["train", "corpus.txt", "--run", "full", "--layers", "2", "--hidden", "24",
                                "--batch", "4", "--seq", "12", "--steps", "4", "--eval-every", "2", "--threads", "1"],
                               shellPrefix: "trap '' XFSZ; ulimit -f 16")
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(result.errorLines.count, 1, result.stderr)
        let line = result.errorLines.first ?? ""
        // The first evaluation is an improvement, so best.safetensors is the first file written.
        XCTAssertTrue(line.hasPrefix("charlstm: checkpoints/full/best.safetensors: cannot write it ("), line)
        XCTAssertEqual(w.files(in: "checkpoints/full").filter { $0.hasPrefix(".") }, [], "temporary files left behind")
        XCTAssertEqual(w.files(in: "checkpoints/full").filter { $0.hasSuffix(".safetensors") }, [])
    }
}
