import Checkpoints
import Foundation
import XCTest

/// The tool's one version, as `--version`, `info` and the checkpoints it writes show it.
final class ToolVersionTests: XCTestCase {
    func testVersionFlag_printsTheToolVersion() throws {
        let w = try Workspace()
        let result = try w.run(["--version"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), ToolVersion.current)
        XCTAssertEqual(result.stderr, "")
    }

    func testCheckpointsRecordTheVersionThatWroteThem_andInfoShowsIt() throws {
        let w = try Workspace()
        try w.write(GeneratedText.words(400, seed: 3), to: "corpus.txt")
        let train = try w.run(["train", "corpus.txt", "--run", "r", "--steps", "4", "--layers", "1", "--hidden", "8",
                               "--embedding", "4", "--batch", "2", "--seq", "8", "--threads", "1"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let file = "checkpoints/r/step-00000004.safetensors"
        let contents = try SafeTensors.decode(Data(contentsOf: URL(fileURLWithPath: w.path(file))))
        XCTAssertEqual(contents.metadata["charlstm_version"], ToolVersion.current)

        let json = try w.run(["info", file, "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["written_by"] as? String, ToolVersion.current)
        XCTAssertEqual(object["charlstm_version"] as? String, ToolVersion.current)

        let human = try w.run(["info", file])
        XCTAssertTrue(human.stdout.contains("written by charlstm \(ToolVersion.current), read by charlstm \(ToolVersion.current)"),
                      human.stdout)
    }
}
