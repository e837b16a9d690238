import Checkpoints
import Foundation
import XCTest

/// `train --lr-schedule` through the binary: what the start line, log.csv and `info` say, and
/// a `--minutes` budget that a resumed run finishes rather than starts again.
final class ScheduleCommandTests: XCTestCase {
    var w: Workspace!
    let tinyModel = TrainBadInputTests.tinyModel

    override func setUpWithError() throws {
        w = try Workspace()
        try w.write(GeneratedText.words(3000, seed: 3), to: "text.txt")
    }

    override func tearDown() { w = nil }

    /// The lr column of a run's log.csv.
    func loggedRates(_ run: String) throws -> [Double] {
        let log = try String(contentsOfFile: w.path("checkpoints/\(run)/log.csv"), encoding: .utf8)
        return log.split(separator: "\n").dropFirst().map { Double($0.split(separator: ",")[4])! }
    }

    func testCosine_isTheDefaultAndFallsToATenthOfTheRateAtTheLastStep() throws {
        let result = try w.run(["train", "text.txt", "--run", "c", "--steps", "60", "--eval-every", "10", "--lr", "0.01"] + tinyModel)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("adam lr 0.01 cosine to 0.001 at step 60"), result.stderr)
        let rates = try loggedRates("c")
        XCTAssertEqual(rates.count, 6)
        XCTAssertTrue(zip(rates, rates.dropFirst()).allSatisfy { $0 > $1 }, "\(rates)")
        XCTAssertEqual(rates.first!, 0.01, accuracy: 0.001)
        XCTAssertEqual(rates.last!, 0.001, accuracy: 0.0001)
        let info = try w.run(["info", "checkpoints/c"])
        XCTAssertTrue(info.stdout.contains("adam lr 0.01 (cosine: warmup over 2% of the budget, down to 10% of --lr at its end)"), info.stdout)
        let stored = try Checkpoint.read(from: w.path("checkpoints/c/best.safetensors")).training
        XCTAssertEqual(stored?.learningRateSchedule, .cosine)
    }

    func testConstantAndEpochDecay_keepTheirOldRates() throws {
        let constant = try w.run(["train", "text.txt", "--run", "k", "--steps", "30", "--eval-every", "10",
                                  "--lr-schedule", "constant"] + tinyModel)
        XCTAssertEqual(constant.status, 0, constant.stderr)
        XCTAssertEqual(try loggedRates("k"), [0.002, 0.002, 0.002])
        // --lr-decay alone chooses char-rnn's per-epoch decay, as before schedules existed.
        let decay = try w.run(["train", "text.txt", "--run", "d", "--epochs", "2", "--eval-every", "0", "--lr-decay", "0.5"] + tinyModel)
        XCTAssertEqual(decay.status, 0, decay.stderr)
        XCTAssertTrue(decay.stderr.contains("adam lr 0.002 × 0.5 per epoch"), decay.stderr)
        XCTAssertEqual(try loggedRates("d"), [0.001])
        let bad = try w.run(["train", "text.txt", "--lr-schedule", "linear"] + tinyModel)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--lr-schedule"), bad.stderr)
    }

    /// A resumed run without a new budget trains to the end of the minutes it was given (its
    /// schedule ends there); a new --minutes on resume gives that many more.
    func testMinutes_resumedWithoutABudgetEndsWhereTheRunsBudgetEnds() throws {
        let first = try w.run(["train", "text.txt", "--run", "m", "--minutes", "0.01", "--eval-every", "0"] + tinyModel)
        XCTAssertEqual(first.status, 0, first.stderr)
        let before = try XCTUnwrap(Checkpoint.read(from: w.path("checkpoints/m/best.safetensors")).position?.step)
        let again = try w.run(["train", "--resume", "checkpoints/m"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("stopped at step \(before) (budget reached)"), again.stderr)
        let more = try w.run(["train", "--resume", "checkpoints/m", "--minutes", "0.01"])
        XCTAssertEqual(more.status, 0, more.stderr)
        let after = try XCTUnwrap(RunFolder(path: w.path("checkpoints/m")).stepCheckpoints().last?.step)
        XCTAssertGreaterThan(after, before)
    }
}
