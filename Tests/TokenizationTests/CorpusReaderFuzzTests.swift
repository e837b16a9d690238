import Foundation
import Kernels
import XCTest
@testable import Tokenization

/// The corpus reader against input nobody would write on purpose: random bytes, every kind of
/// invalid UTF-8 at every position of a text, one enormous line, and random folder trees of
/// text, binary, empty and hidden files tangled with symbolic link loops. Swift's own UTF-8
/// validation is the oracle; nothing may trap, hang or read a file twice.
final class CorpusReaderFuzzTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "corpus-fuzz-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    /// Decodes `bytes` with `policy`: the scalars, or the byte offset of the first bad sequence
    /// together with the scalars emitted before it.
    func decode(_ bytes: [UInt8], _ policy: InvalidUTF8Policy) -> (scalars: [Unicode.Scalar], failedAt: Int?) {
        var scalars = [Unicode.Scalar]()
        do {
            try bytes.withUnsafeBufferPointer { try UTF8Decoder.decode($0, file: "fuzz", policy: policy) { scalars.append($0) } }
            return (scalars, nil)
        } catch CorpusError.invalidUTF8(_, let offset) {
            return (scalars, offset)
        } catch {
            XCTFail("unexpected error \(error)")
            return (scalars, -1)
        }
    }

    func valid(_ bytes: ArraySlice<UInt8>) -> [Unicode.Scalar]? {
        String(validating: bytes, as: UTF8.self).map { Array($0.unicodeScalars) }
    }

    /// Checks both policies against Swift's decoder; returns whether `bytes` were valid UTF-8.
    @discardableResult
    func checkAgainstSwift(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let replaced = decode(bytes, .replace)
        XCTAssertNil(replaced.failedAt, file: file, line: line)
        XCTAssertEqual(replaced.scalars, Array(String(decoding: bytes, as: UTF8.self).unicodeScalars),
                       "replacement differs from Swift's for \(bytes)", file: file, line: line)
        let strict = decode(bytes, .fail)
        guard let offset = strict.failedAt else {
            XCTAssertEqual(strict.scalars, valid(bytes[...]), "accepted invalid UTF-8 \(bytes)", file: file, line: line)
            return true
        }
        // Everything before the offset is valid and was emitted; no scalar starts validly at it.
        XCTAssertNotNil(valid(bytes[..<offset]), "offset \(offset) is past a bad sequence in \(bytes)", file: file, line: line)
        XCTAssertEqual(strict.scalars, valid(bytes[..<offset]) ?? [], file: file, line: line)
        for length in 1...4 where offset + length <= bytes.count {
            XCTAssertNil(valid(bytes[offset ..< offset + length]), "a valid sequence starts at offset \(offset) of \(bytes)",
                         file: file, line: line)
        }
        XCTAssertNil(valid(bytes[...]), "refused valid UTF-8 \(bytes)", file: file, line: line)
        return false
    }

    func testUTF8Decoder_randomBytesDecodeAsSwiftDecodesThem() {
        var rng = SeededGenerator(seed: 8)
        let cases = 10_000
        var validCount = 0
        for _ in 0..<cases {
            let length = Int(rng.next() % 96)
            // Weighted towards the bytes UTF-8 is made of, so valid and nearly valid multi-byte
            // sequences are common: ASCII, continuations, and every kind of lead byte.
            let bytes = (0..<length).map { _ -> UInt8 in
                let r = rng.next()
                switch r % 8 {
                case 0, 1, 2: return UInt8(truncatingIfNeeded: (r >> 8) % 128)
                case 3, 4: return 0x80 | UInt8(truncatingIfNeeded: (r >> 8) % 64)
                case 5: return 0xC0 | UInt8(truncatingIfNeeded: (r >> 8) % 32)
                case 6: return 0xE0 | UInt8(truncatingIfNeeded: (r >> 8) % 16)
                default: return 0xF0 | UInt8(truncatingIfNeeded: (r >> 8) % 16)
                }
            }
            if checkAgainstSwift(bytes) { validCount += 1 }
        }
        XCTAssertGreaterThan(validCount, 50)
        XCTAssertGreaterThan(cases - validCount, cases / 2)
        print("fuzz: \(cases) random byte strings (\(validCount) valid UTF-8), both policies agree with Swift's decoder")
    }

    /// Every kind of bad sequence, inserted at every byte position of a text with 1- to 4-byte
    /// characters, read from a file: refused at exactly that offset (at a character boundary),
    /// naming the file; with `.replace`, read as Swift reads it.
    func testCorpusReader_invalidUTF8AtEveryPositionIsFoundWhereItIs() throws {
        let text = Array("Café, naïve — 日本語 🎉 ok.\nZ".utf8)
        let badSequences: [[UInt8]] = [[0xFF], [0xFE], [0x80], [0xBF], [0xC3], [0xC0, 0xAF], [0xE0, 0x80, 0xAF],
                                       [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF0, 0x9F], [0xF8, 0x88, 0x80, 0x80, 0x80]]
        let boundaries = Set((0...text.count).filter { $0 == text.count || text[$0] & 0xC0 != 0x80 })
        let path = (folder as NSString).appendingPathComponent("text.txt")
        var cases = 0
        for position in 0...text.count {
            for bad in badSequences {
                let bytes = Array(text[..<position]) + bad + Array(text[position...])
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                XCTAssertThrowsError(try CorpusReader.read([path])) { error in
                    guard case .invalidUTF8(let file, let offset)? = error as? CorpusError else {
                        return XCTFail("\(bad) at \(position): \(error)")
                    }
                    XCTAssertEqual(file, path)
                    // Inside a character the bytes may combine differently; checkAgainstSwift checks those.
                    if boundaries.contains(position) { XCTAssertEqual(offset, position, "\(bad) inserted at byte \(position)") }
                }
                XCTAssertEqual(try CorpusReader.read([path], invalidUTF8: .replace),
                               Array(String(decoding: bytes, as: UTF8.self).unicodeScalars))
                checkAgainstSwift(bytes)
                cases += 1
            }
        }
        print("fuzz: \(cases) files with invalid UTF-8 at every position, all refused at the right offset")
    }

    func testCorpusReader_readsOneEnormousLine() throws {
        // 8 MiB without a line break, in 1-, 2-, 3- and 4-byte characters.
        let unit = "abc é 日 🎉 "
        let repeats = (8 << 20) / unit.utf8.count
        let path = (folder as NSString).appendingPathComponent("line.txt")
        try String(repeating: unit, count: repeats).write(toFile: path, atomically: false, encoding: .utf8)
        let scalars = try CorpusReader.read([path])
        XCTAssertEqual(scalars.count, repeats * unit.unicodeScalars.count)
        XCTAssertFalse(scalars.contains("\n"))
        print("fuzz: one line of \(repeats * unit.utf8.count) bytes read as \(scalars.count) characters")
    }

    /// Random folder trees: text, binary (a NUL early on), empty, invalid and hidden files, with
    /// symbolic links to parents, to the root, to themselves, to files and to nowhere. Every walk
    /// ends; every file listed is a non-binary regular file listed once (by its real path).
    func testCorpusReader_randomFolderTreesWithSymlinkLoopsEndAndListEachFileOnce() throws {
        var rng = SeededGenerator(seed: 21)
        let trees = 100
        var read = 0, refused = 0, filesListed = 0
        for tree in 0..<trees {
            // One level down, so a link to ".." from the root stays within this tree.
            let root = (folder as NSString).appendingPathComponent("tree-\(tree)/root")
            var folders = [root]
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            for item in 0..<(2 + Int(rng.next() % 12)) {
                let parent = folders[Int(rng.next() % UInt64(folders.count))]
                let name = (rng.next() % 5 == 0 ? "." : "") + "item\(item)"
                let path = (parent as NSString).appendingPathComponent(name)
                switch rng.next() % 9 {
                case 0, 1:
                    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                    folders.append(path)
                case 2: try Data("some text \(item)\n".utf8).write(to: URL(fileURLWithPath: path))
                case 3: try Data([0x7F, 0x45, 0x4C, 0x46, 0x00, 0x01]).write(to: URL(fileURLWithPath: path))
                case 4: try Data().write(to: URL(fileURLWithPath: path))
                case 5: try Data([0x61, 0xFF, 0x62]).write(to: URL(fileURLWithPath: path))
                case 6: try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: folders[Int(rng.next() % UInt64(folders.count))])
                case 7: try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: rng.next() % 2 == 0 ? path : root + "/nowhere")
                default: try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "..")
                }
            }
            let files = try CorpusReader.files(in: [root])
            let real = files.map(CorpusReader.canonicalPath)
            XCTAssertEqual(Set(real).count, real.count, "tree \(tree): a file listed twice: \(files)")
            for file in files {
                XCTAssertFalse(((file as NSString).lastPathComponent).hasPrefix("."), file)
                XCTAssertFalse(FileManager.default.contents(atPath: file)?.prefix(8192).contains(0) ?? true, "binary or unreadable: \(file)")
            }
            filesListed += files.count
            do {
                _ = try CorpusReader.read([root])
                read += 1
            } catch is CorpusError {
                refused += 1
            }
        }
        XCTAssertEqual(read + refused, trees)
        print("fuzz: \(trees) random folder trees with symlink loops: \(read) read, \(refused) refused with a CorpusError, \(filesListed) files listed, none twice")
    }
}
