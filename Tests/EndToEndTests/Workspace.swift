import Foundation
import Kernels
import XCTest

/// What a finished `charlstm` process left: its exit status and everything it printed.
struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String

    /// Every non-empty line on stderr.
    var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }

    /// The lines on stderr that are error reports (`charlstm: …`).
    var errorLines: [String] { stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("charlstm: ") } }

    /// Checks the contract for bad input: exit status 2 and one line on stderr, starting
    /// `charlstm: ` + `message`.
    func assertRefused(saying message: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(status, 2, "\(what): \(stderr)", file: file, line: line)
        XCTAssertTrue(stderr.hasPrefix("charlstm: " + message), "\(what): \(stderr)", file: file, line: line)
        XCTAssertEqual(stderr.split(separator: "\n").count, 1, stderr, file: file, line: line)
    }
}

/// A temporary folder to run the built `charlstm` binary in, as a user would: every end-to-end
/// test writes its own generated text there, runs the real binary with that folder as its
/// working directory, and inspects the files it leaves. The folder is removed on `deinit`.
final class Workspace {
    let folder: String

    /// The binary SwiftPM built next to the test bundle (on Linux the bundle URL is already its
    /// folder; on macOS it is the `.xctest` inside it).
    static let binary: String = {
        let bundle = Bundle(for: Workspace.self).bundleURL
        let candidates = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("charlstm").path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()

    struct MissingBinary: Error, CustomStringConvertible {
        var description: String { "no charlstm binary at \(Workspace.binary): run swift build first" }
    }

    init() throws {
        folder = (NSTemporaryDirectory() as NSString).appendingPathComponent("charlstm-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else { throw MissingBinary() }
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    /// The absolute path of `name` inside the workspace.
    func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }

    /// Writes `text` as UTF-8 to `name` and returns the name (relative, as a user would type it).
    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        try text.write(toFile: path(name), atomically: false, encoding: .utf8)
        return name
    }

    /// Starts `charlstm arguments…` in the workspace, stdout and stderr going to files, stdin
    /// from /dev/null. `shellPrefix`, when given, runs it through `sh -c "PREFIX; exec charlstm …"`
    /// so a test can set limits (`ulimit`) or signal dispositions for the binary alone.
    /// `launcher`, when given, is the program that starts the binary (`mpirun -np 2`).
    func start(_ arguments: [String], shellPrefix: String? = nil, launcher: [String] = []) throws -> RunningCommand {
        let process = Process()
        if !launcher.isEmpty {
            process.executableURL = URL(fileURLWithPath: launcher[0])
            process.arguments = Array(launcher.dropFirst()) + [Self.binary] + arguments
        } else if let shellPrefix {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            let quoted = ([Self.binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            process.arguments = ["-c", "\(shellPrefix); exec \(quoted.joined(separator: " "))"]
        } else {
            process.executableURL = URL(fileURLWithPath: Self.binary)
            process.arguments = arguments
        }
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let id = UUID().uuidString
        let out = path(".out-\(id)"), err = path(".err-\(id)")
        for file in [out, err] { _ = FileManager.default.createFile(atPath: file, contents: nil) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        try process.run()
        return RunningCommand(process: process, stdoutPath: out, stderrPath: err)
    }

    /// Runs `charlstm arguments…` to completion (killed after `timeout` seconds, which fails the test).
    @discardableResult
    func run(_ arguments: [String], shellPrefix: String? = nil, launcher: [String] = [], timeout: TimeInterval = 300,
             file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        let command = try start(arguments, shellPrefix: shellPrefix, launcher: launcher)
        let result = command.wait(timeout: timeout)
        if result == nil { XCTFail("charlstm \(arguments.joined(separator: " ")) did not finish in \(timeout) s", file: file, line: line) }
        return result ?? command.kill()
    }

    /// Writes raw bytes (say, invalid UTF-8) to `name` and returns the name.
    @discardableResult
    func write(bytes: [UInt8], to name: String) throws -> String {
        try Data(bytes).write(to: URL(fileURLWithPath: path(name)))
        return name
    }

    /// Names of the files in `subfolder` (hidden ones included), sorted.
    func files(in subfolder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path(subfolder))) ?? []).sorted()
    }
}

/// A `charlstm` process started by `Workspace.start`.
final class RunningCommand {
    let process: Process
    let stdoutPath: String, stderrPath: String

    init(process: Process, stdoutPath: String, stderrPath: String) {
        self.process = process
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
    }

    /// Waits for the process to exit; nil if it is still running after `timeout` seconds.
    func wait(timeout: TimeInterval) -> CommandResult? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline { return nil }
            usleep(5_000)
        }
        return collect()
    }

    /// Kills the process with SIGKILL (no chance to clean up) and returns what it left.
    @discardableResult
    func kill() -> CommandResult {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return collect()
    }

    private func collect() -> CommandResult {
        let read = { (path: String) -> String in
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: path)
            return text
        }
        return CommandResult(status: process.terminationStatus, stdout: read(stdoutPath), stderr: read(stderrPath))
    }
}

/// Deterministic text to train on: words from a small lexicon, with punctuation and line
/// breaks, so a tiny model learns something within a few dozen steps.
enum GeneratedText {
    static func words(_ count: Int, seed: UInt64) -> String {
        let lexicon = ["the", "king", "rode", "to", "a", "castle", "and", "sang", "of", "war", "wind",
                       "over", "hills", "in", "night", "queen", "said", "no", "more"]
        var rng = SeededGenerator(seed: seed)
        var text = ""
        for k in 0..<count {
            text += lexicon[Int(rng.next() % UInt64(lexicon.count))]
            text += rng.next() % 9 == 0 ? (k % 2 == 0 ? ".\n" : ",\n") : " "
        }
        return text
    }
}
