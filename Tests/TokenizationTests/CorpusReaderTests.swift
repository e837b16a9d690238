import XCTest
import Foundation
@testable import Tokenization

final class CorpusReaderTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "corpus-reader-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Writes `bytes` at `relative` under the test folder (creating folders), returns its path.
    @discardableResult
    func write(_ relative: String, _ bytes: [UInt8]) throws -> String {
        let path = (folder as NSString).appendingPathComponent(relative)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String { try write(relative, Array(text.utf8)) }

    func path(_ relative: String) -> String { (folder as NSString).appendingPathComponent(relative) }

    func testCorpusReader_walksFoldersInSortedPathOrder() throws {
        try write("b.txt", "B")
        try write("a/z.txt", "AZ")
        try write("a/b/c.txt", "ABC")
        try write("c.md", "C")
        try write("a/a.txt", "AA")
        XCTAssertEqual(try CorpusReader.files(in: [folder]),
                       ["a/a.txt", "a/b/c.txt", "a/z.txt", "b.txt", "c.md"].map(path))
        XCTAssertEqual(String(String.UnicodeScalarView(try CorpusReader.read([folder]))), "AAABCAZBC")
    }

    func testCorpusReader_keepsTheOrderOfItsArguments() throws {
        let second = try write("2.txt", "two ")
        let first = try write("1.txt", "one ")
        XCTAssertEqual(String(String.UnicodeScalarView(try CorpusReader.read([second, first]))), "two one ")
    }

    func testCorpusReader_skipsHiddenFilesAndFolders() throws {
        try write("visible.txt", "seen")
        try write(".hidden.txt", "not seen")
        try write(".git/objects/x.txt", "not seen")
        XCTAssertEqual(try CorpusReader.files(in: [folder]), [path("visible.txt")])
    }

    func testCorpusReader_skipsBinaryFilesByANulInTheFirst8KiB() throws {
        try write("text.txt", "plain")
        try write("image.bin", [0x89, 0x50, 0x4E, 0x47, 0x00, 0x01])
        try write("nul-at-end-of-head.bin", [UInt8](repeating: 0x61, count: 8191) + [0])
        // A NUL past the first 8 KiB does not make a file binary (git and grep decide the same way).
        try write("nul-later.txt", [UInt8](repeating: 0x61, count: 8192) + [0])
        XCTAssertEqual(try CorpusReader.files(in: [folder]), [path("nul-later.txt"), path("text.txt")])
    }

    func testCorpusReader_folderOfOnlyBinaryFilesIsAClearError() throws {
        try write("a.bin", [0, 1, 2])
        try write(".notes", "hidden")
        XCTAssertThrowsError(try CorpusReader.read([folder])) { error in
            XCTAssertEqual(error as? CorpusError, .noTextFiles(paths: [self.folder]))
            XCTAssertTrue(String(describing: error).contains("no text files found"))
        }
    }

    func testCorpusReader_symlinkLoopsTerminateAndReadEachFileOnce() throws {
        try write("sub/text.txt", "once")
        try FileManager.default.createSymbolicLink(atPath: path("sub/loop"), withDestinationPath: folder)
        try FileManager.default.createSymbolicLink(atPath: path("sub/self"), withDestinationPath: path("sub"))
        try FileManager.default.createSymbolicLink(atPath: path("dangling"), withDestinationPath: path("nowhere"))
        try FileManager.default.createSymbolicLink(atPath: path("circle"), withDestinationPath: path("circle"))
        XCTAssertEqual(try CorpusReader.files(in: [folder]), [path("sub/text.txt")])
        XCTAssertEqual(String(String.UnicodeScalarView(try CorpusReader.read([folder]))), "once")
    }

    /// Relative links back up the tree (`up -> ..`) are loops too, however deep.
    func testCorpusReader_relativeSymlinkLoopsTerminateAndReadEachFileOnce() throws {
        try write("a/b/text.txt", "once")
        try FileManager.default.createSymbolicLink(atPath: path("a/up"), withDestinationPath: "..")
        try FileManager.default.createSymbolicLink(atPath: path("a/b/up"), withDestinationPath: "..")
        try FileManager.default.createSymbolicLink(atPath: path("a/b/top"), withDestinationPath: "../..")
        XCTAssertEqual(try CorpusReader.files(in: [folder]), [path("a/b/text.txt")])
    }

    func testCorpusReader_followsASymlinkToAFolderOutside() throws {
        try write("outside/poem.txt", "verse")
        try FileManager.default.createDirectory(atPath: path("corpus"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path("corpus/link"), withDestinationPath: path("outside"))
        XCTAssertEqual(try CorpusReader.files(in: [path("corpus")]), [path("corpus/link/poem.txt")])
    }

    func testCorpusReader_skipsPipesInAFolderInsteadOfWaitingOnThem() throws {
        try write("text.txt", "words")
        XCTAssertEqual(mkfifo(path("pipe"), 0o644), 0)
        XCTAssertEqual(try CorpusReader.files(in: [folder]), [path("text.txt")])
    }

    func testCorpusReader_pipeOrDeviceGivenAsAFileIsAClearError() throws {
        XCTAssertEqual(mkfifo(path("pipe"), 0o644), 0)
        for special in [path("pipe"), "/dev/zero"] {
            XCTAssertThrowsError(try CorpusReader.read([special])) { error in
                guard case .unreadable(special, let reason) = error as? CorpusError else { return XCTFail("\(error)") }
                XCTAssertTrue(reason.contains("not a regular file"), reason)
            }
        }
    }

    func testCorpusReader_emptyFileIsAClearError() throws {
        let empty = try write("empty.txt", "")
        XCTAssertThrowsError(try CorpusReader.read([empty])) { error in
            XCTAssertEqual(error as? CorpusError, .empty(paths: [empty]))
            XCTAssertTrue(String(describing: error).hasPrefix("\(empty): the corpus is empty"))
        }
    }

    func testCorpusReader_folderOfEmptyFilesIsAClearError() throws {
        try write("a.txt", "")
        try write("b/c.txt", "")
        XCTAssertThrowsError(try CorpusReader.read([folder])) { error in
            XCTAssertEqual(error as? CorpusError, .empty(paths: [self.folder]))
        }
    }

    func testCorpusReader_emptyFolderIsAClearError() throws {
        XCTAssertThrowsError(try CorpusReader.read([folder])) { error in
            XCTAssertEqual(error as? CorpusError, .noTextFiles(paths: [self.folder]))
        }
    }

    func testCorpusReader_missingPathIsNamed() throws {
        let missing = path("missing.txt")
        XCTAssertThrowsError(try CorpusReader.read([missing])) { error in
            XCTAssertEqual(error as? CorpusError, .notFound(path: missing))
            XCTAssertEqual(String(describing: error), "\(missing): no such file or folder")
        }
    }

    func testCorpusReader_invalidUTF8NamesTheFileAndByteOffset() throws {
        try write("a.txt", "fine")
        let bad = try write("b.txt", Array("héllo ".utf8) + [0xC3, 0x28])
        XCTAssertThrowsError(try CorpusReader.read([folder])) { error in
            XCTAssertEqual(error as? CorpusError, .invalidUTF8(file: bad, byteOffset: 7))
            let message = String(describing: error)
            XCTAssertTrue(message.hasPrefix("\(bad): invalid UTF-8 at byte offset 7"), message)
            XCTAssertTrue(message.contains("--replace-invalid"), message)
        }
    }

    func testCorpusReader_replacePolicyTurnsBadBytesIntoReplacementCharacters() throws {
        let bad = try write("b.txt", [0x61, 0xFF, 0x62, 0xE2, 0x82])
        let scalars = try CorpusReader.read([bad], invalidUTF8: .replace)
        XCTAssertEqual(scalars, ["a", "\u{FFFD}", "b", "\u{FFFD}"])
    }

    func testCorpusReader_readsAFileGivenExplicitlyEvenIfItLooksHidden() throws {
        let hidden = try write(".profile", "explicit")
        XCTAssertEqual(String(String.UnicodeScalarView(try CorpusReader.read([hidden]))), "explicit")
    }
}
