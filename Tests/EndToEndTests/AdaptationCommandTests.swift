import Foundation
import XCTest

/// `eval --dynamic` and `generate --adapt` through the binary, on the shared tiny model.
final class AdaptationCommandTests: SampledModelTestCase {
    /// Text in the model's characters that repeats one line, so adapting to it pays.
    let repetitive = String(repeating: "the cat sat on the mat.\n", count: 120)

    func testEvalDynamic_reportsTheDynamicLossBesideTheStaticOneAndBelowIt() throws {
        try workspace.write(repetitive, to: "mats.txt")
        let plain = try workspace.run(["eval", "checkpoints/tiny", "mats.txt", "--streams", "1", "--json"])
        let result = try workspace.run(["eval", "checkpoints/tiny", "mats.txt", "--streams", "1", "--window", "50",
                                        "--dynamic", "--dynamic-lr", "0.003", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let before = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
        let statics = try XCTUnwrap(object["nats_per_char"] as? Double)
        XCTAssertEqual(statics, try XCTUnwrap(before["nats_per_char"] as? Double), accuracy: 1e-5, "the static loss stays the static loss")
        let dynamic = try XCTUnwrap((object["dynamic"] as? [String: Any])?["nats_per_char"] as? Double)
        XCTAssertLessThan(dynamic, statics - 0.1, "static \(statics), dynamic \(dynamic)")
        let text = try workspace.run(["eval", "checkpoints/tiny", "mats.txt", "--dynamic"])
        XCTAssertEqual(text.stdout.split(separator: "\n").count, 2, text.stdout)
        XCTAssertTrue(text.stdout.contains("dynamic evaluation (Adam lr 0.0002"), text.stdout)
        let misuse = try workspace.run(["eval", "checkpoints/tiny", "mats.txt", "--dynamic-lr", "0.01"])
        XCTAssertEqual(misuse.status, 2)
        XCTAssertTrue(misuse.stderr.contains("--dynamic-lr only applies with --dynamic"), misuse.stderr)
    }

    func testGenerateAdapt_writesFromAnAdaptedCopyAndLeavesTheCheckpointAsItWas() throws {
        try workspace.write(repetitive, to: "mats.txt")
        let file = workspace.path("checkpoints/tiny/best.safetensors")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        let arguments = ["generate", "--checkpoint", "checkpoints/tiny", "--prompt", "the ", "--length", "80", "--temperature", "0"]
        let plain = try workspace.run(arguments)
        let adapted = try workspace.run(arguments + ["--adapt", "mats.txt"])
        XCTAssertEqual(adapted.status, 0, adapted.stderr)
        XCTAssertTrue(adapted.stderr.contains("adapted to mats.txt (2880 characters)"), adapted.stderr)
        // The copy it writes from predicts the text better than the checkpoint does.
        let losses = try XCTUnwrap(adapted.stderr.firstMatch(of: #/its loss ([0-9.]+) → ([0-9.]+) nats/char while reading it, ([0-9.]+) after/#),
                                   adapted.stderr)
        XCTAssertLessThan(try XCTUnwrap(Double(losses.3)), try XCTUnwrap(Double(losses.1)) - 0.01, adapted.stderr)
        XCTAssertEqual(adapted.stdout.unicodeScalars.count, plain.stdout.unicodeScalars.count)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: file)), bytes, "the checkpoint on disk changed")
        try workspace.write("¿qué?", to: "foreign.txt")
        let foreign = try workspace.run(arguments + ["--adapt", "foreign.txt"])
        XCTAssertEqual(foreign.status, 2)
        XCTAssertTrue(foreign.stderr.contains("--adapt foreign.txt"), foreign.stderr)
    }
}
