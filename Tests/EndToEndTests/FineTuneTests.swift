import Checkpoints
import Foundation
import XCTest

/// `charlstm train --init-from`, through the real binary: characters the model does not know
/// are named, `--extend-vocab` grows the model, and the new run records its parent.
final class FineTuneTests: XCTestCase {
    static let tinyModel = ["--layers", "1", "--hidden", "16", "--embedding", "8", "--batch", "4", "--seq", "16",
                            "--threads", "1", "--seed", "2", "--lr", "0.01"]

    func makeBase() throws -> Workspace {
        let w = try Workspace()
        try w.write(GeneratedText.words(400, seed: 1), to: "old.txt")
        let base = try w.run(["train", "old.txt", "--run", "base", "--steps", "30", "--eval-every", "10"] + Self.tinyModel)
        XCTAssertEqual(base.status, 0, base.stderr)
        return w
    }

    func infoJSON(_ w: Workspace, _ checkpoint: String) throws -> [String: Any] {
        let info = try w.run(["info", checkpoint, "--json"])
        XCTAssertEqual(info.status, 0, info.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
    }

    func testFineTune_unknownCharactersAreNamedThenExtendVocabTrainsOnOldAndNewCharacters() throws {
        let w = try makeBase()
        // The same kind of text with an accented letter and two symbols the model never saw.
        let text = GeneratedText.words(400, seed: 2).replacingOccurrences(of: "e", with: "é")
            .replacingOccurrences(of: "king", with: "kïng§")
        try w.write(text, to: "new.txt")
        let accents = text.unicodeScalars.filter { $0 == "é" }.count
        let tune = ["train", "new.txt", "--init-from", "checkpoints/base", "--run", "tuned", "--steps", "60", "--eval-every", "20"]
            + Self.tinyModel

        let refused = try w.run(tune)
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertEqual(refused.errorLines.count, 1, refused.stderr)
        let message = refused.errorLines.first ?? ""
        XCTAssertTrue(message.contains("'é' (U+00E9) ×\(accents)") && message.contains("'ï' (U+00EF)")
                      && message.contains("'§' (U+00A7)") && message.contains("--extend-vocab"), message)
        XCTAssertFalse(FileManager.default.fileExists(atPath: w.path("checkpoints/tuned")), "a refused start writes no run")

        let tuned = try w.run(tune + ["--extend-vocab"])
        XCTAssertEqual(tuned.status, 0, tuned.stderr)
        XCTAssertTrue(tuned.stderr.contains("vocabulary extended by 3 characters"), tuned.stderr)

        let base = try infoJSON(w, "checkpoints/base"), info = try infoJSON(w, "checkpoints/tuned")
        let oldVocabulary = try XCTUnwrap(base["vocabulary"] as? String)
        XCTAssertEqual(info["vocabulary"] as? String, oldVocabulary + "§éï", "old characters keep their rows; new ones follow")
        XCTAssertEqual(info["step"] as? Int, 60, "a fresh schedule: steps count from 0, not from the parent's 30")
        let parent = try XCTUnwrap(info["parent"] as? [String: String])
        XCTAssertEqual(parent["file"], "checkpoints/base/best.safetensors")
        let parentBytes = try Data(contentsOf: URL(fileURLWithPath: w.path("checkpoints/base/best.safetensors")))
        XCTAssertEqual(parent["sha256"], SHA256.hex(parentBytes))
        XCTAssertTrue(try w.run(["info", "checkpoints/tuned"]).stdout.contains("parent        checkpoints/base/best.safetensors (sha256 \(SHA256.hex(parentBytes)))"))

        // Both kinds of character work afterwards: in a prompt, and in what the model writes.
        let sample = try w.run(["generate", "--checkpoint", "checkpoints/tuned", "--prompt", "the kïng§ ", "--length", "400",
                                "--seed", "3", "--no-prompt"])
        XCTAssertEqual(sample.status, 0, sample.stderr)
        XCTAssertTrue(sample.stdout.contains("é") && sample.stdout.contains("a"), sample.stdout)
        // The parent is untouched and still refuses the new characters.
        let old = try w.run(["generate", "--checkpoint", "checkpoints/base", "--prompt", "é", "--length", "5"])
        XCTAssertEqual(old.status, 2, old.stderr)
    }

    func testFineTune_architectureFlagsThatDisagreeWithTheCheckpointAreRefusedInOneLine() throws {
        let w = try makeBase()
        let result = try w.run(["train", "old.txt", "--init-from", "checkpoints/base", "--run", "tuned", "--hidden", "32",
                                "--layers", "1", "--embedding", "4", "--cell", "gru"])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertEqual(result.errorLines.count, 1, result.stderr)
        let message = result.errorLines.first ?? ""
        XCTAssertTrue(message.contains("--hidden 32 (the checkpoint has 16)") && message.contains("--embedding 4 (the checkpoint has 8)")
                      && message.contains("--cell gru (the checkpoint has lstm)")
                      && !message.contains("--layers"), message)
        XCTAssertEqual(try w.run(["train", "old.txt", "--init-from", "checkpoints/base", "--resume", "checkpoints/base"]).status, 2)
    }
}
