import Foundation
import XCTest

/// The built `charlstm` executable, run in a temporary working folder the way a user runs it.
struct CharLSTMBinary {
    /// What one run left behind.
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var stderrLines: [Substring] { stderr.split(separator: "\n", omittingEmptySubsequences: true) }
    }

    /// The executable sits beside the test bundle in the build products folder (on Linux the
    /// bundle URL is that folder itself; elsewhere it is the `.xctest` inside it).
    static let url: URL = {
        let bundle = Bundle(for: BundleToken.self).bundleURL
        let candidates = [bundle.appendingPathComponent("charlstm"),
                          bundle.deletingLastPathComponent().appendingPathComponent("charlstm")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[1]
    }()

    /// A fresh temporary working folder; `checkpoints/` runs are created inside it.
    let folder: String

    init() throws {
        folder = NSTemporaryDirectory() + "charlstm-e2e-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }

    func path(_ relative: String) -> String { (folder as NSString).appendingPathComponent(relative) }

    /// Writes a file into the working folder and returns its relative name.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        try Data(bytes).write(to: URL(fileURLWithPath: path(name)))
        return name
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    /// Starts the binary with `arguments`; stdout and stderr go to files in the working folder.
    func start(_ arguments: [String], tag: String = UUID().uuidString) throws -> (Process, out: String, err: String) {
        let process = Process()
        process.executableURL = Self.url
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let out = path(".stdout-\(tag)"), err = path(".stderr-\(tag)")
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    /// Runs the binary to completion (killing it after `timeout` seconds, which fails the test).
    func run(_ arguments: [String], timeout: TimeInterval = 120,
             file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        let (process, out, err) = try start(arguments)
        Self.wait(for: process, timeout: timeout, file: file, line: line)
        return Result(status: process.terminationStatus,
                      stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    static func wait(for process: Process, timeout: TimeInterval, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            XCTFail("charlstm still running after \(timeout) s: killed", file: file, line: line)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Some pages of generated text in a handful of words: enough for a tiny model to train on.
    static func generatedText(lines: Int = 600) -> String {
        let words = ["to", "be", "or", "not", "that", "is", "the", "question", "whether", "tis", "nobler"]
        var state: UInt64 = 88172645463325252
        return (0..<lines).map { _ in
            (0..<6).map { _ -> String in
                state ^= state << 13; state ^= state >> 7; state ^= state << 17   // xorshift64
                return words[Int(state % UInt64(words.count))]
            }.joined(separator: " ")
        }.joined(separator: "\n") + "\n"
    }

    /// A model small enough that the debug build trains it in a blink.
    static let tinyModel = ["--layers", "1", "--hidden", "8", "--embedding", "4", "--batch", "4", "--seq", "8"]
}

private final class BundleToken {}
