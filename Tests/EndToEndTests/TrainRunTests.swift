import Checkpoints
import Foundation
import XCTest

/// Whole training runs through the binary: what a run folder holds afterwards, `eval` and
/// `info` on it, divergence, and Ctrl-C.
final class TrainRunTests: XCTestCase {
    var w: Workspace!
    let text = GeneratedText.words(3000, seed: 3)
    let tinyModel = TrainBadInputTests.tinyModel

    override func setUpWithError() throws {
        w = try Workspace()
        try w.write(text, to: "text.txt")
    }

    override func tearDown() { w = nil }

    func files(in run: String) -> [String] { w.files(in: "checkpoints/\(run)") }

    func bytes(_ relative: String) -> Data? { FileManager.default.contents(atPath: w.path(relative)) }

    /// A finished short run named `name`: 60 steps, evaluated every 20.
    func trainShortRun(_ name: String) throws {
        let result = try w.run(["train", "text.txt", "--run", name, "--steps", "60", "--eval-every", "20",
                                       "--keep", "2", "--lr", "0.01"] + tinyModel)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("stopped at step 60 (budget reached)"), result.stderr)
    }

    func testTrain_successfulRunWritesCheckpointsLogAndPlot() throws {
        try trainShortRun("tiny")
        XCTAssertEqual(files(in: "tiny"), ["best.safetensors", "log.csv", "loss.svg",
                                           "step-00000040.safetensors", "step-00000060.safetensors"])

        let log = try String(contentsOfFile: w.path("checkpoints/tiny/log.csv"), encoding: .utf8)
        let rows = log.split(separator: "\n")
        XCTAssertEqual(rows.first, "step,epoch,train_loss,val_loss,lr,chars_per_sec,seconds")
        XCTAssertEqual(rows.dropFirst().map { $0.split(separator: ",").first! }, ["20", "40", "60"])
        for row in rows.dropFirst() {
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            XCTAssertEqual(fields.count, 7, String(row))
            XCTAssertNotNil(Double(fields[3]), "val_loss should be a number: \(row)")
        }

        let svg = try String(contentsOfFile: w.path("checkpoints/tiny/loss.svg"), encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<svg") && svg.contains("<polyline") && svg.hasSuffix("</svg>\n"))

        // Every checkpoint written is a complete, loadable file.
        for name in ["best.safetensors", "step-00000040.safetensors", "step-00000060.safetensors"] {
            XCTAssertNoThrow(try Checkpoint.read(from: w.path("checkpoints/tiny/\(name)")), name)
        }
        let best = try Checkpoint.read(from: w.path("checkpoints/tiny/best.safetensors"))
        let bestLoss = try XCTUnwrap(best.position?.bestValidationLoss)
        XCTAssertEqual(bestLoss, best.position?.history.map(\.validationLoss).min())
    }

    func testEvalAndInfo_workOnATrainedRun() throws {
        try trainShortRun("tiny")

        let eval = try w.run(["eval", "checkpoints/tiny", "text.txt"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertTrue(eval.stdout.contains("nats/char") && eval.stdout.contains("bits/char"), eval.stdout)
        XCTAssertTrue(eval.stdout.contains("checkpoints/tiny/best.safetensors"), eval.stdout)

        let evalJSON = try w.run(["eval", "checkpoints/tiny", "text.txt", "--json", "--streams", "1"])
        XCTAssertEqual(evalJSON.status, 0, evalJSON.stderr)
        let evaluation = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evalJSON.stdout.utf8)) as? [String: Any])
        let nats = try XCTUnwrap(evaluation["nats_per_char"] as? Double)
        let bits = try XCTUnwrap(evaluation["bits_per_char"] as? Double)
        XCTAssertEqual(bits, nats / log(2), accuracy: 1e-9)
        XCTAssertEqual(evaluation["characters"] as? Int, text.unicodeScalars.count - 1)
        XCTAssertLessThan(nats, log(Double(Set(text.unicodeScalars).count)))

        let info = try w.run(["info", "checkpoints/tiny"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("1×8 LSTM"), info.stdout)
        XCTAssertTrue(info.stdout.contains("step 60"), info.stdout)

        let infoJSON = try w.run(["info", "checkpoints/tiny/step-00000040.safetensors", "--json"])
        XCTAssertEqual(infoJSON.status, 0, infoJSON.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(infoJSON.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["step"] as? Int, 40)
        XCTAssertEqual(object["hidden"] as? Int, 8)
    }

    func testTrain_hugeLearningRateFromTheStartFailsWithAdviceAndWritesNoCheckpoint() throws {
        let result = try w.run(["train", "text.txt", "--run", "boom", "--lr", "1e4", "--steps", "100",
                                       "--eval-every", "10"] + tinyModel)
        XCTAssertEqual(result.status, 1, result.stderr)
        let last = result.stderrLines.last ?? ""
        XCTAssertTrue(last.hasPrefix("charlstm: training diverged"), last)
        XCTAssertTrue(last.contains("lower --lr") && last.contains("--clip"), last)
        XCTAssertFalse(files(in: "boom").contains { $0.hasSuffix(".safetensors") }, "\(files(in: "boom"))")
    }

    /// The step named is the one whose loss blew up: with a budget of 2 steps it cannot be 3.
    func testTrain_divergenceNamesTheStepThatBlewUp() throws {
        let result = try w.run(["train", "text.txt", "--run", "two", "--lr", "1e3", "--steps", "2", "--eval-every", "0"] + tinyModel)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.errorLines.first?.hasPrefix("charlstm: training diverged at step 2 (loss ") ?? false, result.stderr)
    }

    /// Adam's first update moves every weight by about lr, so a pre-activation by up to about
    /// lr × width: a wide model's loss jumps above 3·ln V for a step or a few, then falls. That
    /// used to stop a run as "diverged" after one step (a 4×4096 model at lr 0.002); here lr ×
    /// hidden is 0.09 × 256 = 23 (a small model, so the test is quick). Stopped during the
    /// overshoot, the run says where its loss is and saves nothing of those steps; given 60
    /// steps, the same run trains through it and learns.
    func testTrain_wideModelsFirstStepsOvershootTheBoundAndTrainOn() throws {
        // At a constant rate: a warmup would start the run at a tenth of it, with no overshoot.
        let wide = ["--layers", "2", "--hidden", "256", "--embedding", "16", "--batch", "4", "--seq", "16",
                    "--lr", "0.09", "--threads", "2", "--seed", "1", "--lr-schedule", "constant"]
        let stopped = try w.run(["train", "text.txt", "--run", "early", "--steps", "3", "--eval-every", "1"] + wide)
        XCTAssertEqual(stopped.status, 1, stopped.stderr)
        XCTAssertTrue(stopped.stderr.contains("is above 3·ln V = "), stopped.stderr)
        XCTAssertTrue(stopped.errorLines.last?.contains(", when the run stopped): lr × hidden = 0.09 × 256 = 23; try a lower --lr (now 0.09), such as --lr 0.008, or a lower --clip (now 5.0)") ?? false,
                      stopped.stderr)
        // Step 1's evaluation was within the bound; nothing later was saved.
        XCTAssertEqual(files(in: "early"), ["best.safetensors", "log.csv", "loss.svg", "step-00000001.safetensors"])

        let trained = try w.run(["train", "text.txt", "--run", "wide", "--steps", "60", "--eval-every", "10"] + wide)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        XCTAssertTrue(trained.stderr.contains("stopped at step 60 (budget reached)"), trained.stderr)
        XCTAssertTrue(trained.stderr.contains("is above 3·ln V = "), "the overshoot did not happen: \(trained.stderr)")
        let info = try w.run(["info", "checkpoints/wide", "--json"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        let best = try XCTUnwrap(object["best_val_loss"] as? Double)
        XCTAssertLessThan(best, log(Double(Set(text.unicodeScalars).count)), "no better than a uniform guess")
    }

    func testTrain_divergingResumeKeepsTheLastGoodCheckpointsUntouched() throws {
        try trainShortRun("tiny")
        let before = Dictionary(uniqueKeysWithValues: files(in: "tiny").map { ($0, bytes("checkpoints/tiny/\($0)")) })

        let result = try w.run(["train", "--resume", "checkpoints/tiny", "--lr", "1e4", "--steps", "200"])
        XCTAssertEqual(result.status, 1, result.stderr)
        let last = result.stderrLines.last ?? ""
        XCTAssertTrue(last.hasPrefix("charlstm: training diverged"), last)
        XCTAssertTrue(last.contains("the last good checkpoint is checkpoints/tiny/step-00000060.safetensors"), last)

        // Nothing new, nothing changed: no diverged weights were written anywhere.
        for name in files(in: "tiny") where name.hasSuffix(".safetensors") {
            XCTAssertEqual(bytes("checkpoints/tiny/\(name)"), before[name] ?? nil, "\(name) changed or appeared")
        }
        let info = try w.run(["info", "checkpoints/tiny", "--json"])
        XCTAssertEqual(info.status, 0, info.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        XCTAssertTrue((object["best_val_loss"] as? Double)?.isFinite ?? false, info.stdout)
    }

    func testTrain_ctrlCStopsCleanlyAndSavesACheckpoint() throws {
        try assertStopsCleanlyAndSaves(on: SIGINT)
    }

    /// SIGTERM (a scheduler, `kill`, a shutdown) is treated as Ctrl-C: the run saves and stops.
    func testTrain_sigtermStopsCleanlyAndSavesACheckpoint() throws {
        try assertStopsCleanlyAndSaves(on: SIGTERM)
    }

    /// SIGHUP (the terminal or SSH session closed) too.
    func testTrain_sighupStopsCleanlyAndSavesACheckpoint() throws {
        try assertStopsCleanlyAndSaves(on: SIGHUP)
    }

    /// stderr is a pipe whose reader goes away early (`2>&1 | head`): the run carries on
    /// silently and finishes with its checkpoints, instead of dying by SIGPIPE.
    func testTrain_closedOutputPipeDoesNotEndTheRun() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Workspace.binary)
        process.arguments = ["train", "text.txt", "--run", "piped", "--steps", "3000", "--eval-every", "500"] + tinyModel
        process.currentDirectoryURL = URL(fileURLWithPath: w.folder)
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        try process.run()
        // Read the first bytes, as `head -c` would, then close the reading end.
        _ = pipe.fileHandleForReading.readData(ofLength: 16)
        try pipe.fileHandleForReading.close()
        try pipe.fileHandleForWriting.close()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit, "killed by signal \(process.terminationStatus)")
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertNoThrow(try Checkpoint.read(from: w.path("checkpoints/piped/step-00003000.safetensors")))
    }

    func assertStopsCleanlyAndSaves(on signal: Int32) throws {
        let command = try w.start(["train", "text.txt", "--run", "stopped", "--minutes", "10", "--eval-every", "0"]
                                  + tinyModel)
        let stderrSoFar = { (try? String(contentsOfFile: command.stderrPath, encoding: .utf8)) ?? "" }
        // Wait until the training loop runs (this line comes after the Ctrl-C handler is installed).
        let deadline = Date().addingTimeInterval(60)
        while !stderrSoFar().contains("training 1×8 LSTM"), command.process.isRunning, Date() < deadline {
            usleep(20_000)
        }
        usleep(300_000)
        XCTAssertTrue(command.process.isRunning, stderrSoFar())
        kill(command.process.processIdentifier, signal)
        guard let result = command.wait(timeout: 60) else {
            command.kill()
            return XCTFail("still running 60 s after signal \(signal)")
        }

        XCTAssertEqual(command.process.terminationReason, .exit, result.stderr)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("(interrupted)"), result.stderr)
        let checkpoints = files(in: "stopped").filter { $0.hasPrefix("step-") }
        XCTAssertEqual(checkpoints.count, 1, "\(files(in: "stopped"))")
        let saved = try Checkpoint.read(from: w.path("checkpoints/stopped/\(checkpoints[0])"))
        XCTAssertGreaterThan(saved.position?.step ?? 0, 0)
        XCTAssertTrue(files(in: "stopped").contains("best.safetensors"))
    }
}
