import Foundation
import XCTest
@testable import Checkpoints

/// The run folder's housekeeping and the atomic writer underneath every file in it.
final class RunFolderTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws { folder = try CheckpointSample.temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func names() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted() }

    func testRunFolder_pruneKeepsTheNewestCheckpointsAndNeverTheBest() throws {
        let run = RunFolder(path: folder)
        for step in [5, 10, 100, 15, 20] { try Data([1]).write(to: URL(fileURLWithPath: run.checkpointPath(step: step))) }
        try Data([2]).write(to: URL(fileURLWithPath: run.bestPath))
        try Data([3]).write(to: URL(fileURLWithPath: run.logPath))
        let deleted = run.prune(keep: 2)
        XCTAssertEqual(deleted.map { ($0 as NSString).lastPathComponent },
                       ["step-00000005.safetensors", "step-00000010.safetensors", "step-00000015.safetensors"])
        XCTAssertEqual(names(), ["best.safetensors", "log.csv", "step-00000020.safetensors", "step-00000100.safetensors"])
        XCTAssertEqual(run.latestCheckpoint, run.checkpointPath(step: 100))
    }

    func testRunFolder_removesTemporaryFilesAKilledWriterLeftBehind() throws {
        let run = RunFolder(path: folder)
        let abandoned = ".step-00000040.safetensors.tmp-4242"
        try Data([1]).write(to: URL(fileURLWithPath: run.file(abandoned)))
        try Data([1]).write(to: URL(fileURLWithPath: run.checkpointPath(step: 30)))
        XCTAssertEqual(run.stepCheckpoints().map(\.step), [30], "a temporary file is not a checkpoint")
        run.removeAbandonedTemporaryFiles()
        XCTAssertEqual(names(), ["step-00000030.safetensors"])
    }

    func testAtomicFile_replacesTheWholeFileAndLeavesNoTemporaryFile() throws {
        let path = (folder as NSString).appendingPathComponent("x.safetensors")
        try AtomicFile.write(Data(repeating: 7, count: 100_000), to: path)
        try AtomicFile.write(Data([1, 2, 3]), to: path)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data([1, 2, 3]))
        XCTAssertEqual(names(), ["x.safetensors"])
    }

    func testAtomicFile_failedWriteThrowsOneLineAndLeavesTheOldFile() throws {
        let path = (folder as NSString).appendingPathComponent("y.safetensors")
        try AtomicFile.write(Data([9]), to: path)
        // A folder where the file should be: the rename fails after the bytes were written.
        let blocked = (folder as NSString).appendingPathComponent("blocked")
        try FileManager.default.createDirectory(atPath: (blocked as NSString).appendingPathComponent("inside"),
                                                withIntermediateDirectories: true)
        XCTAssertThrowsError(try AtomicFile.write(Data([1, 2]), to: blocked)) { error in
            let description = (error as? FileWriteError)?.description ?? ""
            XCTAssertTrue(description.hasPrefix(blocked + ": cannot write it ("), description)
            XCTAssertFalse(description.contains("\n"))
        }
        XCTAssertThrowsError(try AtomicFile.write(Data([1]), to: (folder as NSString).appendingPathComponent("no/such/folder.bin")))
        XCTAssertEqual(names(), ["blocked", "y.safetensors"], "a failed write left a temporary file")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data([9]))
    }
}

/// The hash a fine-tuned checkpoint names its parent by must be the SHA-256 `sha256sum` prints.
final class SHA256Tests: XCTestCase {
    func testSHA256_matchesTheStandardTestVectors() {
        XCTAssertEqual(SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testSHA256_givesTheSameHashWhateverTheChunking() {
        let data = Data((0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        var hash = SHA256()
        for start in stride(from: 0, to: data.count, by: 37) { hash.update(data[start..<min(start + 37, data.count)]) }
        XCTAssertEqual(hash.finish().map { String(format: "%02x", $0) }.joined(), SHA256.hex(data))
    }
}
