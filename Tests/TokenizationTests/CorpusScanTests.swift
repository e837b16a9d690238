import Foundation
import XCTest
@testable import Tokenization

/// The streaming scan must decode a file exactly as reading it whole does, wherever the chunks
/// end: inside a multi-byte character, inside an invalid sequence, between two files.
final class CorpusScanTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "corpus-scan-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = (folder as NSString).appendingPathComponent(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Every character the scan encodes, in order, as scalars (through its own count-built table).
    func scanned(_ paths: [String], policy: InvalidUTF8Policy, chunkSize: Int) throws -> [Unicode.Scalar] {
        let files = try CorpusScan.identify(paths)
        let counts = try CorpusScan.countCharacters(files, invalidUTF8: policy, chunkSize: chunkSize) { _ in }
        let codePoints = counts.keys.sorted()
        var tokenOf = [UInt32: Int32]()
        for (i, c) in codePoints.enumerated() { tokenOf[c] = Int32(i) }
        var tokens = [UInt32]()
        try CorpusScan.encode(files, width: 4, tokenOf: tokenOf, invalidUTF8: policy, chunkSize: chunkSize,
                              progress: { _ in }) { tokens += $0.bindMemory(to: UInt32.self) }
        let decoded = tokens.map { Unicode.Scalar(codePoints[Int($0)])! }
        var recount = [UInt32: Int]()
        for s in decoded { recount[s.value, default: 0] += 1 }
        XCTAssertEqual(recount, counts, "the counting pass and the encoding pass disagree")
        return decoded
    }

    func testCorpusScan_decodesLikeReadingWholeForEveryChunkSize() throws {
        // ASCII, 2-, 3- and 4-byte characters, and invalid bytes (a lone continuation, a cut
        // sequence, an overlong form) so chunk ends fall inside each of them.
        let mixed: [UInt8] = Array("aé€🌍b".utf8) + [0x80] + Array("ü".utf8) + [0xE2, 0x82] + Array("x".utf8)
            + [0xC0, 0xAF] + Array("ß\n".utf8) + [0xF0, 0x9F, 0x8C]
        let first = try write("one.txt", Array(repeating: mixed, count: 3).flatMap { $0 })
        let second = try write("two.txt", Array("🌍ok".utf8))
        let whole = try CorpusReader.read([first, second], invalidUTF8: .replace)
        for chunkSize in [1, 2, 3, 4, 5, 7, 13, 64] {
            XCTAssertEqual(try scanned([first, second], policy: .replace, chunkSize: chunkSize), whole, "chunk size \(chunkSize)")
        }
    }

    func testCorpusScan_invalidUTF8IsReportedAtItsOffsetInTheFileWhateverTheChunks() throws {
        let bytes = Array("héllo wörld, ".utf8) + Array("more text here ".utf8) + [0xE9] + Array(" tail".utf8)
        let path = try write("bad.txt", bytes)
        XCTAssertThrowsError(try CorpusReader.read([path])) { XCTAssertEqual($0 as? CorpusError, .invalidUTF8(file: path, byteOffset: 30)) }
        for chunkSize in [1, 3, 8, 29, 30, 31, 4096] {
            XCTAssertThrowsError(try scanned([path], policy: .fail, chunkSize: chunkSize)) {
                XCTAssertEqual($0 as? CorpusError, .invalidUTF8(file: path, byteOffset: 30), "chunk size \(chunkSize)")
            }
        }
    }
}
