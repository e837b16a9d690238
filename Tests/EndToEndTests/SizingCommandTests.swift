import Checkpoints
import Foundation
import XCTest

/// `train` without --layers, --hidden, --embedding: the size it chooses, the line that says so,
/// and what the checkpoint and `info` record.
final class SizingCommandTests: XCTestCase {
    func testNoSizeFlags_chooseFromTheCorpusAndBudgetSayItAndRecordIt() throws {
        let w = try Workspace()
        try w.write(GeneratedText.words(3000, seed: 3), to: "text.txt")
        let result = try w.run(["train", "text.txt", "--run", "chosen", "--steps", "4", "--batch", "4", "--seq", "8", "--eval-every", "0"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let line = try XCTUnwrap(result.stderr.split(separator: "\n").first { $0.hasPrefix("model size chosen: ") }, result.stderr)
        // 4 steps of 32 characters cannot train anything large: the smallest size, no dropout.
        XCTAssertTrue(line.hasPrefix("model size chosen: 2×64, embedding 64, dropout 0.0 for "), String(line))
        XCTAssertTrue(line.contains("4 steps ≈ 128 characters"), String(line))
        XCTAssertTrue(line.hasSuffix("--layers, --hidden, --embedding and --dropout choose otherwise"), String(line))
        let saved = try Checkpoint.read(from: w.path("checkpoints/chosen/best.safetensors"))
        XCTAssertEqual(saved.model.configuration.hiddenSize, 64)
        XCTAssertEqual(saved.training?.chosenSize?.hidden, 64)
        XCTAssertEqual(saved.training?.chosenSize?.budgetCharacters, 128)
        let info = try w.run(["info", "checkpoints/chosen"])
        XCTAssertTrue(info.stdout.contains("size chosen   2×64, embedding 64, dropout 0 for "), info.stdout)

        // A given dropout is kept and said; a given size means no choice at all.
        let dropout = try w.run(["train", "text.txt", "--run", "d", "--steps", "2", "--batch", "4", "--seq", "8", "--dropout", "0.3"])
        XCTAssertTrue(dropout.stderr.contains("dropout 0.3 (given) for"), dropout.stderr)
        XCTAssertEqual(try Checkpoint.read(from: w.path("checkpoints/d/best.safetensors")).model.configuration.dropout, 0.3)
        let given = try w.run(["train", "text.txt", "--run", "g", "--steps", "2", "--batch", "4", "--seq", "8", "--hidden", "16"])
        XCTAssertEqual(given.status, 0, given.stderr)
        XCTAssertFalse(given.stderr.contains("model size chosen"), given.stderr)
        let g = try Checkpoint.read(from: w.path("checkpoints/g/best.safetensors"))
        XCTAssertEqual([g.model.configuration.layers, g.model.configuration.hiddenSize, g.model.configuration.embeddingSize], [2, 16, 64])
        XCTAssertNil(g.training?.chosenSize)
    }
}
