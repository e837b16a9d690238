import Checkpoints
import Foundation
import XCTest

/// `train --cell gru|rnn` through the real binary: a tiny model trained for a few steps keeps
/// PyTorch's tensor names and its cell in the checkpoint; info, eval, generate and the REPL
/// (through a pipe) load it; resume continues it bit for bit and refuses another cell.
final class CellCommandTests: XCTestCase {
    /// A constant rate: the resume below extends the --steps budget, which moves a cosine schedule's end.
    static let tinyRun = ["--layers", "2", "--hidden", "16", "--embedding", "8", "--batch", "4", "--seq", "16",
                          "--dropout", "0.1", "--lr", "0.01", "--eval-every", "10", "--threads", "2", "--seed", "2",
                          "--lr-schedule", "constant"]

    func checkCell(_ cell: String, display: String, gateCount: Int) throws {
        let w = try Workspace()
        // ~3,000 characters: about 40 steps per epoch, so step 20 is mid-epoch (carried state).
        try w.write(GeneratedText.words(600, seed: 2), to: "corpus.txt")
        let train = try w.run(["train", "corpus.txt", "--run", "r", "--cell", cell, "--steps", "30"] + Self.tinyRun)
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("training 2×16 \(display)"), train.stderr)

        let file = try SafeTensors.decode(Data(contentsOf: URL(fileURLWithPath: w.path("checkpoints/r/step-00000030.safetensors"))))
        XCTAssertEqual(file.tensors["\(cell).weight_ih_l0"]?.shape, [gateCount * 16, 8])
        XCTAssertEqual(file.tensors["\(cell).weight_hh_l1"]?.shape, [gateCount * 16, 16])
        XCTAssertEqual(file.tensors["\(cell).bias_hh_l1"]?.shape, [gateCount * 16])
        XCTAssertNotNil(file.tensors["optimizer.exp_avg.\(cell).weight_hh_l0"])
        XCTAssertEqual(file.tensors["optimizer.carried_state.h_l1"]?.shape, [4, 16])
        XCTAssertNil(file.tensors["optimizer.carried_state.c_l0"], "only the LSTM carries a cell state")
        XCTAssertFalse(file.tensors.keys.contains { $0.hasPrefix("lstm.") })

        let info = try w.run(["info", "checkpoints/r", "--json"])
        XCTAssertEqual(info.status, 0, info.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(object?["cell"] as? String, cell)
        XCTAssertTrue(try w.run(["info", "checkpoints/r"]).stdout.contains("2×16 \(display), embedding 8"))

        let eval = try w.run(["eval", "checkpoints/r", "corpus.txt", "--json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let loss = (try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])?["nats_per_char"] as? Double
        // Better than guessing uniformly among the corpus's ~25 characters (ln 25 ≈ 3.2): it learned.
        XCTAssertLessThan(loss ?? .infinity, 3.0, eval.stdout)

        let generate = try w.run(["generate", "--checkpoint", "checkpoints/r", "--prompt", "the ", "--length", "40",
                                  "--temperature", "0", "--no-prompt"])
        XCTAssertEqual(generate.status, 0, generate.stderr)
        XCTAssertEqual(generate.stdout.unicodeScalars.count, 40, generate.stdout)
        try w.write("the \n:quit\n", to: "input.txt")
        let repl = try w.run(["repl", "--checkpoint", "checkpoints/r", "--temperature", "0", "--length", "40"],
                             shellPrefix: "exec < input.txt")
        XCTAssertEqual(repl.status, 0, repl.stderr)
        // The REPL ends a turn with a line break unless the text already ends with one.
        let turn = generate.stdout.hasSuffix("\n") ? generate.stdout : generate.stdout + "\n"
        XCTAssertEqual(repl.stdout, turn, "greedy REPL turn and generate agree")

        // Resume: 20 + 10 steps give the same weights as 30 in one go; another cell is refused.
        XCTAssertEqual(try w.run(["train", "corpus.txt", "--run", "half", "--cell", cell, "--steps", "20"] + Self.tinyRun).status, 0)
        let rest = try w.run(["train", "--resume", "checkpoints/half", "--steps", "30"])
        XCTAssertEqual(rest.status, 0, rest.stderr)
        let resumed = try SafeTensors.decode(Data(contentsOf: URL(fileURLWithPath: w.path("checkpoints/half/step-00000030.safetensors"))))
        for name in file.tensors.keys.sorted() {
            XCTAssertEqual(file.tensors[name]?.values.map(\.bitPattern), resumed.tensors[name]?.values.map(\.bitPattern),
                           "\(name) differs between 30 steps and 20+10")
        }
        let other = cell == "gru" ? "rnn" : "gru"
        let conflict = try w.run(["train", "--resume", "checkpoints/half", "--steps", "40", "--cell", other])
        XCTAssertEqual(conflict.status, 2)
        XCTAssertTrue(conflict.errorLines.first?.contains("--cell \(other) (the run has \(cell))") ?? false, conflict.stderr)
    }

    func testGRU_trainsAndEveryCommandUsesIt() throws { try checkCell("gru", display: "GRU", gateCount: 3) }
    func testRNN_trainsAndEveryCommandUsesIt() throws { try checkCell("rnn", display: "RNN", gateCount: 1) }
}
