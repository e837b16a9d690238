import Checkpoints
import Foundation
import Kernels
import XCTest

/// `--patience`, `--keep`, `--save-every-minutes` and `--eval-chars` through the real binary.
final class TrainingHygieneTests: XCTestCase {
    static let tinyModel = ["--layers", "1", "--hidden", "16", "--embedding", "8", "--batch", "4", "--seq", "16",
                            "--threads", "1", "--seed", "2"]

    /// A corpus a model overfits at once: the training part is one line over and over, the
    /// held-out last fifth is letters the training part never uses, so every step that fits the
    /// training text makes the validation loss worse.
    func overfittingWorkspace() throws -> Workspace {
        let w = try Workspace()
        let train = String(repeating: "the cat sat on the mat.\n", count: 70)
        var rng = SeededGenerator(seed: 5)
        let heldOut = String((0..<420).map { _ in Array("zqxjkvwy")[Int(rng.next() % 8)] })
        try w.write(train + heldOut, to: "corpus.txt")
        return w
    }

    /// log.csv as (step, val_loss) rows.
    func log(_ w: Workspace, _ run: String) throws -> [(step: Int, validation: Double)] {
        let text = try String(contentsOfFile: w.path("checkpoints/\(run)/log.csv"), encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { row in
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            return (Int(fields[0])!, Double(fields[3])!)
        }
    }

    func testPatience_endsAnOverfittingRunAfterThatManyEvaluationsWithoutANewBest() throws {
        let w = try overfittingWorkspace()
        let result = try w.run(["train", "corpus.txt", "--run", "r", "--val-fraction", "0.2", "--lr", "0.01", "--steps", "1000",
                                "--eval-every", "5", "--patience", "3"] + Self.tinyModel)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("no new best validation loss in 3 evaluations, --patience"), result.stderr)
        let rows = try log(w, "r")
        let best = try XCTUnwrap(rows.indices.min { rows[$0].validation < rows[$1].validation })
        XCTAssertEqual(rows.count - 1 - best, 3, "the run stops at the third evaluation after its best: \(rows)")
        XCTAssertLessThan(rows.last!.step, 1000)
        XCTAssertEqual(try Checkpoint.read(from: w.path("checkpoints/r/best.safetensors")).position?.step, rows[best].step)
    }

    func testKeep_rotatesStepCheckpointsButNeverTheBestOrTheNewest() throws {
        let w = try overfittingWorkspace()
        let result = try w.run(["train", "corpus.txt", "--run", "r", "--val-fraction", "0.2", "--lr", "0.01", "--steps", "40",
                                "--eval-every", "5", "--keep", "2"] + Self.tinyModel)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(w.files(in: "checkpoints/r").filter { $0.hasPrefix("step-") },
                       ["step-00000035.safetensors", "step-00000040.safetensors"])
        // The best evaluation came early (the run overfits), long before the retained steps.
        let best = try Checkpoint.read(from: w.path("checkpoints/r/best.safetensors"))
        let bestStep = try XCTUnwrap(best.position?.bestStep)
        XCTAssertLessThan(bestStep, 35)
        XCTAssertEqual(best.position?.step, bestStep)
        let resumed = try w.run(["train", "--resume", "checkpoints/r", "--steps", "50"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(w.files(in: "checkpoints/r").filter { $0.hasPrefix("step-") },
                       ["step-00000045.safetensors", "step-00000050.safetensors"])
        XCTAssertEqual(try Checkpoint.read(from: w.path("checkpoints/r/best.safetensors")).position?.step, bestStep)
    }

    func testSaveEveryMinutes_checkpointsBetweenEvaluationsAndResumesFromThemExactly() throws {
        let w = try Workspace()
        try w.write(GeneratedText.words(460, seed: 1), to: "corpus.txt")
        // 0.0001 minutes is 6 ms: about every step saves.
        let whole = try w.run(["train", "corpus.txt", "--run", "r", "--steps", "60", "--eval-every", "0",
                               "--save-every-minutes", "0.0001", "--keep", "100", "--dropout", "0.2"] + Self.tinyModel)
        XCTAssertEqual(whole.status, 0, whole.stderr)
        let steps = w.files(in: "checkpoints/r").filter { $0.hasPrefix("step-") }
        XCTAssertGreaterThanOrEqual(steps.count, 3, "at least two timed saves besides the final one: \(steps)")
        XCTAssertEqual(try String(contentsOfFile: w.path("checkpoints/r/log.csv"), encoding: .utf8).split(separator: "\n").count, 2,
                       "timed saves are not evaluations: only the final one is logged")
        // Continue a copy of a timed checkpoint from mid-run: it reaches the same weights.
        let middle = try XCTUnwrap(steps.first { $0 != "step-00000060.safetensors" && $0 >= "step-00000010" })
        try FileManager.default.createDirectory(atPath: w.path("checkpoints/copy"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: w.path("checkpoints/r/\(middle)"), toPath: w.path("checkpoints/copy/\(middle)"))
        let rest = try w.run(["train", "--resume", "checkpoints/copy", "--steps", "60"])
        XCTAssertEqual(rest.status, 0, rest.stderr)
        let a = try Checkpoint.read(from: w.path("checkpoints/r/step-00000060.safetensors"))
        let b = try Checkpoint.read(from: w.path("checkpoints/copy/step-00000060.safetensors"))
        XCTAssertEqual(a.model.parameters.array.map(\.bitPattern), b.model.parameters.array.map(\.bitPattern))
        XCTAssertEqual(a.position?.randomState, b.position?.randomState)
    }

    func testEvalChars_capsTheHeldOutTextAndIsKeptOnResume() throws {
        let w = try Workspace()
        try w.write(GeneratedText.words(460, seed: 1), to: "corpus.txt")
        let capped = try w.run(["train", "corpus.txt", "--run", "capped", "--steps", "5", "--eval-chars", "50", "--json"] + Self.tinyModel)
        let all = try w.run(["train", "corpus.txt", "--run", "all", "--steps", "5", "--eval-chars", "0", "--json"] + Self.tinyModel)
        XCTAssertEqual(capped.status, 0, capped.stderr)
        XCTAssertEqual(all.status, 0, all.stderr)
        let a = try Checkpoint.read(from: w.path("checkpoints/capped/best.safetensors"))
        let b = try Checkpoint.read(from: w.path("checkpoints/all/best.safetensors"))
        XCTAssertEqual(a.training?.evaluationCharacters, 50)
        XCTAssertNil(b.training?.evaluationCharacters)
        XCTAssertEqual(a.model.parameters.array, b.model.parameters.array, "the cap changes evaluation only, never training")
        XCTAssertNotEqual(a.position?.bestValidationLoss, b.position?.bestValidationLoss)
        let conflict = try w.run(["train", "--resume", "checkpoints/capped", "--steps", "10", "--eval-chars", "0"])
        XCTAssertEqual(conflict.status, 2, conflict.stderr)
        XCTAssertTrue(conflict.stderr.contains("--eval-chars 0 (the run evaluates on the first 50 held-out characters)"), conflict.stderr)
        let resumed = try w.run(["train", "--resume", "checkpoints/capped", "--steps", "10"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try Checkpoint.read(from: w.path("checkpoints/capped/step-00000010.safetensors")).training?.evaluationCharacters, 50)
    }
}
