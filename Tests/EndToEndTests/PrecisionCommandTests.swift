import Foundation
import XCTest

/// `--precision` on generate, repl, eval and info, and `generate --count K`, through the real
/// binary on the small model the sampling tests share.
final class PrecisionCommandTests: SampledModelTestCase {
    func json(_ run: CommandResult) throws -> [String: Any] {
        XCTAssertEqual(run.status, 0, run.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.stdout)
    }

    func samples(_ arguments: [String]) throws -> [String] {
        let run = try workspace.run(["generate", "--checkpoint", "checkpoints/tiny", "--json"] + arguments)
        return try XCTUnwrap(try json(run)["samples"] as? [String])
    }

    /// Sample i of `--count K --seed S` is the text `--seed S+i` writes alone: character for
    /// character in bf16 and int8 (the K-row products give each row the bits it gets alone),
    /// and in fp32 on this model too (there BLAS's K-row product may round a last bit
    /// differently, which could, rarely, change a draw; it does not here).
    func testGenerate_countSampleIIsTheTextOfSeedPlusIAlone() throws {
        for precision in ["fp32", "bf16", "int8"] {
            let common = ["--prompt", "the ", "--length", "120", "--precision", precision, "--stop", "war"]
            let together = try samples(common + ["--count", "4", "--seed", "70"])
            let alone = try (0..<4).map { try samples(common + ["--seed", "\(70 + $0)"])[0] }
            XCTAssertEqual(together, alone, precision)
            XCTAssertEqual(Set(alone).count, 4, "the samples should differ: \(alone)")
        }
    }

    /// On stdout the samples follow each other, each after its header, the first streamed.
    func testGenerate_countSeparatesTheSamplesWithHeaders() throws {
        let run = try workspace.run(["generate", "--checkpoint", "checkpoints/tiny", "--prompt", "the", "--length", "40",
                                     "--count", "3", "--seed", "8", "--precision", "int8"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let alone = try samples(["--prompt", "the", "--length", "40", "--seed", "9", "--precision", "int8"])[0]
        let parts = run.stdout.components(separatedBy: "----- sample 2 of 3 -----\n")
        XCTAssertEqual(parts.count, 2, run.stdout)
        XCTAssertTrue(run.stdout.hasPrefix("----- sample 1 of 3 -----\nthe"), run.stdout)
        XCTAssertTrue(parts[1].hasPrefix(alone), "sample 2 is not seed 9's text: \(run.stdout)")
        XCTAssertTrue(parts[1].contains("----- sample 3 of 3 -----\nthe"), run.stdout)
    }

    /// Reduced precisions cost little loss on held-out text: at one stream, int8 within 1% and
    /// bf16 within 0.2% of fp32 (relative, nats/char); the output names the precision.
    func testEval_precisionChangesTheLossOfATrainedModelLittle() throws {
        try workspace.write(GeneratedText.words(800, seed: 99), to: "held-out.txt")
        func loss(_ precision: String) throws -> Double {
            let run = try workspace.run(["eval", "checkpoints/tiny", "held-out.txt", "--streams", "1", "--precision", precision, "--json"])
            let object = try json(run)
            XCTAssertEqual(object["precision"] as? String, precision)
            return try XCTUnwrap(object["nats_per_char"] as? Double)
        }
        let fp32 = try loss("fp32"), bf16 = try loss("bf16"), int8 = try loss("int8")
        XCTAssertLessThan(fp32, 2.9, "the model predicts no better than uniform over its characters")
        XCTAssertEqual(bf16, fp32, accuracy: 0.002 * fp32)
        XCTAssertEqual(int8, fp32, accuracy: 0.01 * fp32)
        XCTAssertNotEqual(int8, fp32, "int8 weights should change the loss at least a little")
        let text = try workspace.run(["eval", "checkpoints/tiny", "held-out.txt", "--precision", "int8"])
        XCTAssertTrue(text.stdout.contains("int8 weights"), text.stdout)
    }

    func testPrecision_badValuesExit2WithOneLine() throws {
        for command in [["generate", "--checkpoint", "checkpoints/tiny"], ["repl", "--checkpoint", "checkpoints/tiny"],
                        ["eval", "checkpoints/tiny", "held-out.txt"]] {
            for value in ["fp16", "INT8", ""] {
                try workspace.run(command + ["--precision", value])
                    .assertRefused(saying: "--precision must be fp32, bf16 or int8, got '\(value)'", "\(command) \(value)")
            }
        }
        try workspace.run(["eval", "checkpoints/tiny", "held-out.txt", "--dynamic", "--precision", "int8"])
            .assertRefused(saying: "--dynamic adapts fp32 weights", "eval --dynamic --precision int8")
    }

    /// info lists the bytes each precision reads per character; the REPL says which it uses.
    func testInfoAndRepl_sayWhichWeightsAreUsed() throws {
        let info = try workspace.run(["info", "checkpoints/tiny"])
        XCTAssertEqual(info.status, 0, info.stderr)
        let line = try XCTUnwrap(info.stdout.split(separator: "\n").first { $0.hasPrefix("sampling") }, info.stdout)
        XCTAssertTrue(line.contains("fp32") && line.contains("(default)") && line.contains("bf16") && line.contains("int8"), String(line))
        let object = try json(try workspace.run(["info", "checkpoints/tiny", "--json"]))
        let bytes = try XCTUnwrap(object["weight_bytes_per_character"] as? [String: Int])
        XCTAssertLessThan(bytes["int8"]!, bytes["bf16"]!)
        XCTAssertLessThan(bytes["bf16"]!, bytes["fp32"]!)
        let repl = try workspace.run(["repl", "--checkpoint", "checkpoints/tiny", "--precision", "int8", "--prompt", ":info"])
        XCTAssertEqual(repl.status, 0, repl.stderr)
        XCTAssertTrue(repl.stdout.contains("weights     int8,"), repl.stdout)
    }
}
