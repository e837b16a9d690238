import Checkpoints
import Foundation
import XCTest

/// `charlstm train --resume`, through the real binary: exact continuation, the architecture
/// from the checkpoint, conflicting flags and foreign corpora refused.
final class ResumeTests: XCTestCase {
    /// A tiny model over ~2,000 training characters: 28 steps per epoch at batch 4 × seq 16, so a
    /// run of 80 steps crosses two epoch boundaries (state reset, lr decay) and the split at
    /// step 40 falls mid-epoch (carried state). Dropout makes the random stream matter. Two
    /// threads, so the parallel split of the work (deterministic for a given count) is covered.
    static let tinyRun = ["--layers", "2", "--hidden", "16", "--embedding", "8", "--batch", "4", "--seq", "16",
                          "--dropout", "0.2", "--lr-decay", "0.9", "--eval-every", "25", "--threads", "2", "--seed", "3"]

    func makeWorkspace() throws -> Workspace {
        let workspace = try Workspace()
        try workspace.write(GeneratedText.words(460, seed: 1), to: "corpus.txt")
        return workspace
    }

    func testResume_twoHalvesMatchOneWholeRunBitForBit() throws {
        let w = try makeWorkspace()
        let whole = try w.run(["train", "corpus.txt", "--run", "whole", "--steps", "80"] + Self.tinyRun)
        XCTAssertEqual(whole.status, 0, whole.stderr)
        let half = try w.run(["train", "corpus.txt", "--run", "halves", "--steps", "40"] + Self.tinyRun)
        XCTAssertEqual(half.status, 0, half.stderr)
        let rest = try w.run(["train", "--resume", "checkpoints/halves", "--steps", "80"])
        XCTAssertEqual(rest.status, 0, rest.stderr)
        XCTAssertTrue(rest.stderr.contains("resumed at step 40"), rest.stderr)

        let a = try SafeTensors.decode(Data(contentsOf: URL(fileURLWithPath: w.path("checkpoints/whole/step-00000080.safetensors"))))
        let b = try SafeTensors.decode(Data(contentsOf: URL(fileURLWithPath: w.path("checkpoints/halves/step-00000080.safetensors"))))
        XCTAssertEqual(a.tensors.keys.sorted(), b.tensors.keys.sorted())
        XCTAssertTrue(a.tensors.keys.contains("lstm.weight_hh_l1"))
        XCTAssertTrue(a.tensors.keys.contains("optimizer.exp_avg_sq.decoder.weight"))
        for name in a.tensors.keys.sorted() {
            let x = a.tensors[name]!.values, y = b.tensors[name]!.values
            XCTAssertEqual(x.map(\.bitPattern), y.map(\.bitPattern), "tensor \(name) differs between 80 steps and 40+40")
        }
        let positionA = try Checkpoint.read(from: w.path("checkpoints/whole/step-00000080.safetensors")).position!
        let positionB = try Checkpoint.read(from: w.path("checkpoints/halves/step-00000080.safetensors")).position!
        XCTAssertEqual(positionA.epoch, 2)
        XCTAssertEqual([positionA.step, positionA.epoch, positionA.stepInEpoch], [positionB.step, positionB.epoch, positionB.stepInEpoch])
        XCTAssertEqual(positionA.randomState, positionB.randomState)
    }

    func testResume_takesTheArchitectureFromTheCheckpoint() throws {
        let w = try makeWorkspace()
        XCTAssertEqual(try w.run(["train", "corpus.txt", "--run", "r", "--steps", "10"] + Self.tinyRun).status, 0)
        // Repeating the run's own values is no conflict; the architecture is not re-specified.
        let resumed = try w.run(["train", "--resume", "checkpoints/r", "--steps", "20", "--hidden", "16"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let latest = try Checkpoint.read(from: w.path("checkpoints/r/step-00000020.safetensors"))
        XCTAssertEqual(latest.model.configuration.hiddenSize, 16)
        XCTAssertEqual(latest.model.configuration.layers, 2)
        XCTAssertEqual(latest.model.configuration.embeddingSize, 8)
        XCTAssertEqual(latest.training?.batch, 4)
    }

    func testResume_conflictingFlagsAreReportedInOneLine() throws {
        let w = try makeWorkspace()
        XCTAssertEqual(try w.run(["train", "corpus.txt", "--run", "r", "--steps", "5"] + Self.tinyRun).status, 0)
        let result = try w.run(["train", "--resume", "checkpoints/r", "--steps", "10", "--hidden", "32", "--batch", "8"])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.errorLines.count, 1, result.stderr)
        let line = result.errorLines.first ?? ""
        XCTAssertTrue(line.contains("--hidden 32 (the run has 16)"), line)
        XCTAssertTrue(line.contains("--batch 8 (the run has 4)"), line)
        XCTAssertEqual(w.files(in: "checkpoints/r").filter { $0.hasPrefix("step-") }, ["step-00000005.safetensors"])
    }

    func testResume_corpusWithCharactersOutsideTheVocabularyIsRefused() throws {
        let w = try makeWorkspace()
        XCTAssertEqual(try w.run(["train", "corpus.txt", "--run", "r", "--steps", "5"] + Self.tinyRun).status, 0)
        try w.write(GeneratedText.words(460, seed: 2) + "Жизнь\n", to: "other.txt")
        let result = try w.run(["train", "other.txt", "--resume", "checkpoints/r", "--steps", "10"])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.errorLines.count, 1, result.stderr)
        let line = result.errorLines.first ?? ""
        XCTAssertTrue(line.contains("cannot resume on this corpus"), line)
        XCTAssertTrue(line.contains("other.txt"), line)
        XCTAssertTrue(line.contains("Ж"), line)
    }

    func testResume_fromADamagedNewestCheckpointNamesItAndTheOneBefore() throws {
        let w = try makeWorkspace()
        XCTAssertEqual(try w.run(["train", "corpus.txt", "--run", "r", "--steps", "10"] + Self.tinyRun + ["--eval-every", "5"]).status, 0)
        let newest = w.path("checkpoints/r/step-00000010.safetensors")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: newest))
        bytes[bytes.count - 100] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: newest))
        let result = try w.run(["train", "--resume", "checkpoints/r", "--steps", "20"])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.errorLines, ["charlstm: checkpoints/r/step-00000010.safetensors: checksum mismatch: the file is damaged; continue from the previous one with --resume checkpoints/r/step-00000005.safetensors"])
        let older = try w.run(["train", "--resume", "checkpoints/r/step-00000005.safetensors", "--steps", "20"])
        XCTAssertEqual(older.status, 0, older.stderr)
        XCTAssertEqual(try Checkpoint.read(from: newest).position?.step, 10, "the run rewrote the damaged step")
    }

    /// Two processes never train one run: a resume (or a new run of the same name) while the
    /// run is being trained is refused in one line, and the running one carries on unharmed.
    func testResume_whileAnotherProcessTrainsTheRunIsRefused() throws {
        let w = try makeWorkspace()
        let first = try w.start(["train", "corpus.txt", "--run", "busy", "--steps", "1000000", "--eval-every", "2",
                                 "--layers", "1", "--hidden", "8", "--embedding", "4", "--batch", "4", "--seq", "8", "--threads", "1"])
        let deadline = Date().addingTimeInterval(60)
        while RunFolder(path: w.path("checkpoints/busy")).stepCheckpoints().isEmpty, first.process.isRunning, Date() < deadline {
            usleep(10_000)
        }
        let second = try w.run(["train", "--resume", "checkpoints/busy", "--steps", "1000000"])
        XCTAssertEqual(second.status, 2, second.stderr)
        XCTAssertEqual(second.errorLines, ["charlstm: checkpoints/busy is being trained by another charlstm process right now; wait for it to finish (or stop it with Ctrl-C), or choose another --run name"])
        XCTAssertTrue(first.process.isRunning, "the first run was disturbed")

        kill(first.process.processIdentifier, SIGINT)
        let stopped = try XCTUnwrap(first.wait(timeout: 60))
        XCTAssertEqual(stopped.status, 0, stopped.stderr)
        let latest = try XCTUnwrap(RunFolder(path: w.path("checkpoints/busy")).stepCheckpoints().last)
        let resumed = try w.run(["train", "--resume", "checkpoints/busy", "--steps", String(latest.step + 2)])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
    }

    func testResume_ofAFolderWithoutCheckpointsIsRefused() throws {
        let w = try makeWorkspace()
        try FileManager.default.createDirectory(atPath: w.path("checkpoints/empty"), withIntermediateDirectories: true)
        let result = try w.run(["train", "--resume", "checkpoints/empty", "--steps", "10"])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.errorLines.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("checkpoints/empty"), result.stderr)
    }
}
