import Checkpoints
import Foundation
import XCTest

/// `charlstm info`, `--keep` retention, and the refusal of damaged files, through the binary.
final class CheckpointCommandTests: XCTestCase {
    static let tinyRun = ["--layers", "2", "--hidden", "16", "--embedding", "8", "--batch", "4", "--seq", "16",
                          "--threads", "1", "--seed", "9"]

    /// 2 layers × 16, embedding 8, as PyTorch counts it: embedding V·8; layer 0: 4·16·(8+16) + 2·4·16;
    /// layer 1: 4·16·(16+16) + 2·4·16; decoder V·16 + V.
    func expectedParameters(vocabulary v: Int) -> Int {
        v * 8 + (64 * 24 + 128) + (64 * 32 + 128) + v * 16 + v
    }

    func trainedWorkspace(steps: Int, extra: [String] = []) throws -> Workspace {
        let w = try Workspace()
        try w.write(GeneratedText.words(460, seed: 1) + "\tend\n", to: "corpus.txt")
        let result = try w.run(["train", "corpus.txt", "--run", "r", "--steps", String(steps)] + Self.tinyRun + extra)
        XCTAssertEqual(result.status, 0, result.stderr)
        return w
    }

    func testInfo_showsArchitectureVocabularyPositionAndConfiguration() throws {
        let w = try trainedWorkspace(steps: 20, extra: ["--eval-every", "10", "--keep", "2", "--lr", "0.003"])
        // 20 steps stay inside the first epoch (about 30 windows of this text).
        let file = "checkpoints/r/step-00000020.safetensors"
        let vocabularySize = Set(try String(contentsOfFile: w.path("corpus.txt"), encoding: .utf8).unicodeScalars).count
        let bytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: w.path(file))[.size] as? Int)

        let json = try w.run(["info", file, "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["layers"] as? Int, 2)
        XCTAssertEqual(object["hidden"] as? Int, 16)
        XCTAssertEqual(object["embedding"] as? Int, 8)
        XCTAssertEqual(object["cell"] as? String, "lstm")
        XCTAssertEqual(object["vocabulary_size"] as? Int, vocabularySize)
        XCTAssertEqual(object["parameters"] as? Int, expectedParameters(vocabulary: vocabularySize))
        XCTAssertEqual(object["step"] as? Int, 20)
        XCTAssertEqual(object["epoch"] as? Int, 1, "epochs count from 1 in every output")
        XCTAssertEqual(object["file_bytes"] as? Int, bytes)
        XCTAssertEqual(object["format_version"] as? Int, 1)
        XCTAssertEqual((object["vocabulary"] as? String)?.unicodeScalars.count, vocabularySize)
        let history = try XCTUnwrap(object["history"] as? [[String: Any]])
        XCTAssertEqual(history.compactMap { $0["step"] as? Int }, [10, 20])
        let best = try XCTUnwrap(object["best_val_loss"] as? Double)
        XCTAssertEqual(best, history.compactMap { $0["val_loss"] as? Double }.min()!, accuracy: 1e-12)
        let training = try XCTUnwrap(object["training"] as? [String: Any])
        XCTAssertEqual(training["batch"] as? Int, 4)
        XCTAssertEqual(training["sequenceLength"] as? Int, 16)
        XCTAssertEqual(training["keep"] as? Int, 2)
        XCTAssertEqual(training["evaluateEvery"] as? Int, 10)
        XCTAssertEqual(training["learningRate"] as? Double ?? 0, 0.003, accuracy: 1e-7)
        XCTAssertEqual(training["corpus"] as? [String], ["corpus.txt"])

        let human = try w.run(["info", file])
        XCTAssertEqual(human.status, 0, human.stderr)
        let text = human.stdout
        for expected in ["2×16 LSTM, embedding 8", "\(expectedParameters(vocabulary: vocabularySize)) parameters",
                         "\(vocabularySize) characters: \\t\\n␠", "step 20, epoch 1", String(format: "%.4f nats/char", best),
                         "format version 1", "batch 4 × seq 16", "adam lr 0.003", "eval every 10", "keep 2",
                         "corpus        corpus.txt"] {
            XCTAssertTrue(text.contains(expected), "info lacks \"\(expected)\":\n\(text)")
        }
        XCTAssertTrue(text.contains(String(format: "%.1f KiB", Double(bytes) / 1024)), text)
    }

    func testTrain_keepRetainsTheNewestCheckpointsPlusTheBest() throws {
        let w = try trainedWorkspace(steps: 40, extra: ["--eval-every", "5", "--keep", "2"])
        let files = w.files(in: "checkpoints/r").filter { $0.hasSuffix(".safetensors") }
        XCTAssertEqual(files, ["best.safetensors", "step-00000035.safetensors", "step-00000040.safetensors"])
        let best = try Checkpoint.read(from: w.path("checkpoints/r/best.safetensors"))
        let history = try XCTUnwrap(best.position?.history)
        let lowest = try XCTUnwrap(history.min { $0.validationLoss < $1.validationLoss })
        XCTAssertEqual(best.position?.step, lowest.step, "best.safetensors is not the checkpoint of the lowest val loss")
        XCTAssertEqual(best.position?.bestValidationLoss, lowest.validationLoss)
    }

    func testInfoAndEval_refuseADamagedFileInOneLineNamingIt() throws {
        let w = try trainedWorkspace(steps: 5)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: w.path("checkpoints/r/best.safetensors")))
        bytes[bytes.count - 10] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: w.path("flipped.safetensors")))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: w.path("truncated.safetensors")))
        try w.write("just some text, not a checkpoint\n", to: "text.safetensors")
        let cases = [("flipped.safetensors", "checksum"), ("truncated.safetensors", "truncated"),
                     ("text.safetensors", "not a safetensors file")]
        for (file, why) in cases {
            for command in [["info", file], ["eval", file, "corpus.txt"]] {
                let result = try w.run(command)
                XCTAssertEqual(result.status, 2, "\(command): \(result.stderr)")
                XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
                XCTAssertTrue(result.stderr.hasPrefix("charlstm: \(file): "), result.stderr)
                XCTAssertTrue(result.stderr.contains(why), result.stderr)
                XCTAssertEqual(result.stdout, "")
            }
        }
    }
}
