import Foundation
import XCTest

/// The REPL's banner on terminals of common widths: every line fits, nothing is left out.
final class ReplBannerTests: SampledModelTestCase {
    /// The banner the REPL shows on a terminal `columns` wide, up to its prompt, as lines.
    func banner(columns: UInt16, checkpoint: String, extra: [String] = []) throws -> [String] {
        let terminal = try PseudoTerminal(["repl", "--checkpoint", checkpoint, "--seed", "1234567890123456789"] + extra,
                                          in: workspace.folder,
                                          environment: ["TERM": "dumb", "XDG_STATE_HOME": workspace.path("state"),
                                                        "HOME": workspace.folder, "PATH": "/usr/bin:/bin"],
                                          columns: columns)
        let shown = try XCTUnwrap(terminal.waitFor("> "), "no prompt; got \(terminal.transcript)")
        terminal.type(":quit\r")
        XCTAssertEqual(terminal.waitForExit(), 0)
        return shown.dropLast(2).replacingOccurrences(of: "\r", with: "").split(separator: "\n").map(String.init)
    }

    func testBanner_fitsAn80And120ColumnTerminalAndKeepsEverything() throws {
        // A run folder with a long name, as `--run` makes them, and a stop string: the longest banners.
        let folder = "checkpoints/shakespeare-2x512-dropout-0.2-lr-0.002-run-20261201-101500"
        try FileManager.default.createDirectory(atPath: workspace.path(folder), withIntermediateDirectories: true)
        let file = folder + "/best.safetensors"
        if !FileManager.default.fileExists(atPath: workspace.path(file)) {
            try FileManager.default.copyItem(atPath: workspace.path("checkpoints/tiny/best.safetensors"), toPath: workspace.path(file))
        }
        for columns in [80, 120] as [UInt16] {
            let lines = try banner(columns: columns, checkpoint: folder, extra: ["--stop", "\\n\\n", "--top-k", "5"])
            for line in lines {
                XCTAssertLessThanOrEqual(line.count, Int(columns), "at \(columns) columns: \(line)")
            }
            let joined = lines.joined(separator: " · ")
            // A path wider than the terminal is cut across lines, never shortened.
            XCTAssertTrue(lines.joined().contains(file), "at \(columns) columns, the path is missing: \(lines)")
            for expected in ["charlstm repl", "1×32 LSTM", "temperature 0.8", "top-k 5", "top-p off", "length 400",
                             "seed 1234567890123456789", "stop at \"\\n\\n\"", ":help for commands", "fp32 weights"] {
                XCTAssertTrue(joined.contains(expected), "at \(columns) columns, \(expected) is missing: \(lines)")
            }
            XCTAssertGreaterThan(lines.count, 1, "this banner is wider than \(columns) columns on one line")
        }
    }

    func testBanner_takesOneLineWhereItFits() throws {
        let lines = try banner(columns: 400, checkpoint: "checkpoints/tiny")
        XCTAssertEqual(lines.count, 1, "\(lines)")
        XCTAssertTrue(lines[0].hasPrefix("charlstm repl · checkpoints/tiny/best.safetensors · 1×32 LSTM"), lines[0])
    }
}
