import Foundation
import XCTest

/// One epoch convention in every output of a run: counted from 1, and a checkpoint written at
/// the end of a pass belongs to that pass.
final class EpochCountTests: XCTestCase {
    func testEpochNumbers_agreeAcrossStatusLinesLogInfoAndJSON() throws {
        let w = try Workspace()
        try w.write(GeneratedText.words(500, seed: 4), to: "corpus.txt")
        // Steps per epoch come from the run's own first line; evaluate every step, so every
        // output has a row at each step, the pass boundaries included.
        let result = try w.run(["train", "corpus.txt", "--run", "r", "--epochs", "2", "--eval-every", "1", "--keep", "100",
                                "--layers", "1", "--hidden", "8", "--embedding", "4", "--batch", "4", "--seq", "32",
                                "--threads", "1", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let perEpoch = try XCTUnwrap(result.stderr.firstMatch(of: #/(\d+) steps/epoch/#).flatMap { Int($0.1) })
        XCTAssertGreaterThan(perEpoch, 2)
        func expected(_ step: Int) -> Int { (step - 1) / perEpoch + 1 }

        // Evaluation lines on stderr: "step N · epoch E · …".
        let evaluations = result.stderr.matches(of: #/step (\d+) · epoch (\d+) ·/#).map { (Int($0.1)!, Int($0.2)!) }
        XCTAssertEqual(evaluations.map(\.0), Array(1...2 * perEpoch))
        for (step, epoch) in evaluations { XCTAssertEqual(epoch, expected(step), "status line at step \(step)") }
        XCTAssertEqual(evaluations.first { $0.0 == perEpoch }?.1, 1, "the evaluation at the end of the first pass is epoch 1's")

        // log.csv's epoch column.
        let rows = try String(contentsOfFile: w.path("checkpoints/r/log.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
        let logged = rows.map { $0.split(separator: ",") }.map { (Int($0[0])!, Int($0[1])!) }
        XCTAssertEqual(logged.map(\.0), evaluations.map(\.0))
        XCTAssertEqual(logged.map(\.1), evaluations.map(\.1))

        // info, text and JSON, at the end of the first pass, just after it, and at the end.
        for step in [perEpoch, perEpoch + 1, 2 * perEpoch] {
            let file = "checkpoints/r/step-" + String(format: "%08d", step) + ".safetensors"
            let json = try w.run(["info", file, "--json"])
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            XCTAssertEqual(object["epoch"] as? Int, expected(step), "info --json at step \(step)")
            let text = try w.run(["info", file]).stdout
            XCTAssertTrue(text.contains("step \(step), epoch \(expected(step)),"), "info at step \(step): \(text)")
        }

        // train --json's summary, and the closing line of a run of --epochs 2: epoch 2, not 3.
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["epoch"] as? Int, 2)
        XCTAssertEqual(summary["step"] as? Int, 2 * perEpoch)
    }
}
