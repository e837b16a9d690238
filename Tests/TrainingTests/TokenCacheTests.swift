import Checkpoints
import Foundation
import Tokenization
import XCTest
@testable import Training

/// The token cache: built once, reused while the corpus is unchanged, rebuilt when a file
/// changes or the cache file is damaged, and read back as the same tokens in every width.
final class TokenCacheTests: XCTestCase {
    var folder: String!
    var cache: TokenCache { TokenCache(folder: (folder as NSString).appendingPathComponent("cache")) }

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "token-cache-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    func write(_ text: String, to name: String) throws -> String {
        let path = (folder as NSString).appendingPathComponent(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Opens the corpus through the cache; returns its text as read back and what the cache said.
    func open(_ paths: [String]) throws -> (text: String, tokens: CorpusTokens, notes: [String]) {
        var notes = [String]()
        let tokens = try cache.open(paths, invalidUTF8: .fail) { notes.append($0) }
        let vocabulary = tokens.vocabulary
        let all = try tokens.tokens(in: 0..<tokens.count, vocabulary: vocabulary)
        var values = [Int32](repeating: -1, count: all.count)
        all.copy(from: 0, count: all.count, to: &values)
        return (vocabulary.decode(values), tokens, notes)
    }

    func cacheFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cache.folder)) ?? []).filter { $0.hasSuffix(".tokens") }
    }

    func testTokenCache_secondOpenReusesTheFileAndReadsTheSameText() throws {
        let text = "To be, or not to be: that is the question.\n"
        let path = try write(text, to: "a.txt")
        let first = try open([path])
        XCTAssertEqual(first.text, text)
        XCTAssertTrue(first.notes.first?.contains("encoded") == true, "\(first.notes)")
        XCTAssertEqual(first.tokens.width, 1)
        let second = try open([path])
        XCTAssertEqual(second.text, text)
        XCTAssertTrue(second.notes.first?.contains("reusing") == true, "\(second.notes)")
        XCTAssertEqual(cacheFiles().count, 1)
    }

    func testTokenCache_aChangedFileIsDetectedAndEncodedAgain() throws {
        let path = try write("first version\n", to: "a.txt")
        _ = try open([path])
        // Same size, new content and modification time.
        _ = try write("other version\n", to: "a.txt")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 5)], ofItemAtPath: path)
        let reopened = try open([path])
        XCTAssertEqual(reopened.text, "other version\n")
        XCTAssertTrue(reopened.notes.first?.contains("changed") == true, "\(reopened.notes)")
        XCTAssertEqual(cacheFiles().count, 1, "the stale cache is replaced, not kept beside the new one")
    }

    func testTokenCache_aTruncatedOrDamagedCacheFileIsRebuiltNeverTrusted() throws {
        let text = String(repeating: "abcdefgh ", count: 50)
        let path = try write(text, to: "a.txt")
        _ = try open([path])
        let cacheFile = (cache.folder as NSString).appendingPathComponent(cacheFiles()[0])
        let intact = try Data(contentsOf: URL(fileURLWithPath: cacheFile))

        try intact.dropLast(7).write(to: URL(fileURLWithPath: cacheFile))
        let afterTruncation = try open([path])
        XCTAssertEqual(afterTruncation.text, text)
        XCTAssertTrue(afterTruncation.notes.first?.contains("truncated") == true, "\(afterTruncation.notes)")

        var flipped = intact
        flipped[flipped.count - 100] = flipped[flipped.count - 100] == 0 ? 1 : 0  // another valid token
        try flipped.write(to: URL(fileURLWithPath: cacheFile))
        let afterDamage = try open([path])
        XCTAssertEqual(afterDamage.text, text)
        XCTAssertTrue(afterDamage.notes.first?.contains("damaged") == true, "\(afterDamage.notes)")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: cacheFile)), intact)
    }

    /// The cache file of `text` with its header changed by `edit` (the data and its checksum
    /// as they were), and the identity to open it with.
    func cacheFile(of text: String, editingHeader edit: (inout CorpusTokens.Header) -> Void) throws
        -> (path: String, identity: CorpusTokens.Identity) {
        let path = try write(text, to: "a.txt")
        _ = try open([path])
        let cacheFile = (cache.folder as NSString).appendingPathComponent(cacheFiles()[0])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: cacheFile))
        let handle = try XCTUnwrap(FileHandle(forReadingAtPath: cacheFile))
        defer { try? handle.close() }
        guard case .success(let (read, length)) = CorpusTokens.readHeader(handle, size: bytes.count) else {
            throw XCTSkip("the cache file written has no header")
        }
        var header = read
        edit(&header)
        try (header.encoded() + bytes.dropFirst(24 + length)).write(to: URL(fileURLWithPath: cacheFile))
        return (cacheFile, header.identity)
    }

    func assertRefused(_ file: (path: String, identity: CorpusTokens.Identity), saying reason: String,
                       file source: StaticString = #filePath, line: UInt = #line) {
        switch CorpusTokens.open(file.path, expecting: file.identity) {
        case .success: XCTFail("opened", file: source, line: line)
        case .failure(let problem): XCTAssertTrue(problem.description.contains(reason), "\(problem)", file: source, line: line)
        }
    }

    /// The checksum covers the data, not the header: a header whose character list was edited
    /// so that its counts still add up must not open, or a token past the end of the list would
    /// be read through the translation table (found by reading the reader; fuzz-token-cache-reader
    /// asserts it for every file it opens).
    func testTokenCache_aHeaderWhoseCharacterCountsAreNotTheDatasIsRefusedAndRebuilt() throws {
        let text = "aab"
        // 'b' dropped and its count moved onto 'a': the data still holds token 1.
        assertRefused(try cacheFile(of: text) { $0.characters = [[97, 3]] }, saying: "does not hold the characters its header counts")
        // Both characters kept, their counts swapped.
        let swapped = try cacheFile(of: text) { $0.characters = [[97, 1], [98, 2]] }
        assertRefused(swapped, saying: "does not hold the characters its header counts")
        // The cache notices and encodes the text again.
        let reopened = try open([(folder as NSString).appendingPathComponent("a.txt")])
        XCTAssertEqual(reopened.text, text)
        XCTAssertTrue(reopened.notes.first?.contains("damaged") == true, "\(reopened.notes)")
    }

    /// Counts near Int.max: their sum, or the count times the width, would overflow (a trap in
    /// a checked build; a wrapped, plausible size in an unchecked one).
    func testTokenCache_aHeaderWhoseCountsOverflowIsRefusedAsDamaged() throws {
        assertRefused(try cacheFile(of: "aab") { $0.characters = [[97, Int.max], [98, 1]] }, saying: "has a damaged header")
        // 70,000 characters take 4 bytes each; 2^62 + n tokens of 4 bytes wrap round to 4n bytes.
        let scalars = (0..<70_000).map { Unicode.Scalar(UInt32(0x4E00 + $0 % 0x5000) + UInt32($0 / 0x5000) * 0x10000)! }
        let wide = try cacheFile(of: String(String.UnicodeScalarView(scalars))) { header in
            let count = header.count + 1 << 62
            header.characters[0][1] = count - (header.count - header.characters[0][1])
            header.count = count
        }
        assertRefused(wide, saying: "has a damaged header")
    }

    func testTokenCache_aFolderThatCannotBeWrittenIsReportedWithWhereElseToPutIt() throws {
        let path = try write("some text\n", to: "a.txt")
        XCTAssertThrowsError(try TokenCache(folder: "/proc/no-cache-here").open([path], invalidUTF8: .fail) { _ in }) { error in
            XCTAssertTrue("\(error)".hasPrefix("/proc/no-cache-here: cannot write it") && "\(error)".contains("--cache-dir"), "\(error)")
        }
    }

    func testTokenCache_largeVocabulariesUseTwoAndFourByteTokensThatRoundTrip() throws {
        // 300 characters (two bytes each), then 70,000 (beyond UInt16: four bytes each).
        for (distinct, width) in [(300, 2), (70_000, 4)] {
            let scalars = (0..<distinct).map { Unicode.Scalar(UInt32(0x4E00 + $0 % 0x5000) + UInt32($0 / 0x5000) * 0x10000)! }
            let text = String(String.UnicodeScalarView(scalars + scalars.reversed()))
            let path = try write(text, to: "wide-\(distinct).txt")
            let read = try open([path])
            XCTAssertEqual(read.tokens.width, width)
            XCTAssertEqual(read.tokens.vocabulary.count, distinct)
            XCTAssertEqual(read.text, text)
        }
    }

    func testLoadCorpus_evalCharsCapsTheHeldOutTextAtItsFirstCharacters() throws {
        let text = (0..<2000).map { String(UnicodeScalar(UInt8(97 + $0 % 26))) }.joined()
        let path = try write(text, to: "a.txt")
        let capped = try TrainingSetup.loadCorpus([path], validationFraction: 0.25, evaluationCharacters: 100,
                                                  invalidUTF8: .fail, cache: cache)
        let full = try TrainingSetup.loadCorpus([path], validationFraction: 0.25, invalidUTF8: .fail, cache: cache)
        XCTAssertEqual(full.validation.count, 500)
        XCTAssertEqual(capped.validation.count, 100)
        XCTAssertEqual(capped.train.count, 1500, "the cap leaves the training text alone")
        var first = [Int32](repeating: 0, count: 100), reference = first
        capped.validation.copy(from: 0, count: 100, to: &first)
        full.validation.copy(from: 0, count: 100, to: &reference)
        XCTAssertEqual(first, reference)
        XCTAssertEqual(capped.vocabulary.decode(first), String(text.dropFirst(1500).prefix(100)))
    }

    func testLoadCorpus_charactersOutsideTheModelsVocabularyAreNamedOrAppended() throws {
        let path = try write("abc déjà vu\n", to: "a.txt")
        let model = Vocabulary(building: "abcdjuv \n".unicodeScalars)
        XCTAssertThrowsError(try TrainingSetup.loadCorpus([path], validationFraction: 0, vocabulary: model,
                                                          invalidUTF8: .fail, cache: cache)) { error in
            XCTAssertTrue("\(error)".contains("'à' (U+00E0) ×1, 'é' (U+00E9) ×1"), "\(error)")
        }
        let extended = try TrainingSetup.loadCorpus([path], validationFraction: 0, vocabulary: model, extendVocabulary: true,
                                                    invalidUTF8: .fail, cache: cache)
        XCTAssertEqual(extended.addedCharacters, ["à", "é"])
        XCTAssertEqual(Array(extended.vocabulary.scalars.prefix(model.count)), model.scalars)
        var tokens = [Int32](repeating: 0, count: extended.train.count)
        extended.train.copy(from: 0, count: tokens.count, to: &tokens)
        XCTAssertEqual(extended.vocabulary.decode(tokens), "abc déjà vu\n")
    }
}
