import XCTest
@testable import Tokenization

final class VocabularyTests: XCTestCase {
    func testVocabulary_isSortedByCodePointAndHoldsEachCharacterOnce() {
        let vocabulary = Vocabulary(building: "hello, wörld 🌍\n".unicodeScalars)
        XCTAssertEqual(vocabulary.codePoints, Set("hello, wörld 🌍\n".unicodeScalars.map(\.value)).sorted())
        XCTAssertEqual(vocabulary.count, 12)
        XCTAssertEqual(vocabulary.scalars.first, "\n")
        XCTAssertEqual(vocabulary.scalars.last, "🌍")
    }

    func testVocabulary_isTheSameWhateverTheOrderOfTheText() {
        let text = Array("the same characters, shuffled: ÅåΩ€".unicodeScalars)
        let reference = Vocabulary(building: text)
        XCTAssertEqual(Vocabulary(building: text.reversed()), reference)
        for shift in [1, 7, 20] {
            XCTAssertEqual(Vocabulary(building: text[shift...] + text[..<shift]), reference)
        }
    }

    func testVocabulary_encodeThenDecodeGivesTheTextBack() throws {
        let text = "Ünïcödé text\twith tabs,\nnewlines, 中文 and emoji 🎭🎭."
        let vocabulary = Vocabulary(building: text.unicodeScalars)
        let tokens = try vocabulary.encode(text.unicodeScalars)
        XCTAssertEqual(tokens.count, text.unicodeScalars.count)
        XCTAssertTrue(tokens.allSatisfy { $0 >= 0 && Int($0) < vocabulary.count })
        XCTAssertEqual(vocabulary.decode(tokens), text)
    }

    func testVocabulary_indicesFollowCodePointOrder() throws {
        let vocabulary = Vocabulary(building: "cab".unicodeScalars)
        XCTAssertEqual(try vocabulary.encode("abc".unicodeScalars), [0, 1, 2])
        XCTAssertEqual(vocabulary.index(of: "c"), 2)
        XCTAssertNil(vocabulary.index(of: "d"))
    }

    func testVocabulary_restoresFromItsCodePoints() {
        let vocabulary = Vocabulary(building: "any text at all ✓".unicodeScalars)
        XCTAssertEqual(Vocabulary(codePoints: vocabulary.codePoints), vocabulary)
    }

    func testVocabulary_restoreRejectsRepeatedCodePoints() {
        XCTAssertNil(Vocabulary(codePoints: [97, 97]))
        XCTAssertNil(Vocabulary(codePoints: [10, 97, 96, 10]))
    }

    func testVocabulary_extendedKeepsTheOldIndicesAndAppendsTheNewCharactersInCodePointOrder() {
        let vocabulary = Vocabulary(building: "cab".unicodeScalars)
        let extended = vocabulary.extended(with: "zébra".unicodeScalars)
        XCTAssertEqual(String(String.UnicodeScalarView(extended.scalars)), "abcrzé")
        XCTAssertEqual(Vocabulary(codePoints: extended.codePoints), extended, "an extended vocabulary survives a checkpoint")
        XCTAssertEqual(try extended.encode("abé".unicodeScalars), [0, 1, 5])
    }

    func testVocabulary_restoreRejectsValuesThatAreNotUnicodeScalars() {
        XCTAssertNil(Vocabulary(codePoints: [97, 0xD800]))      // a surrogate
        XCTAssertNil(Vocabulary(codePoints: [0xDFFF]))
        XCTAssertNil(Vocabulary(codePoints: [97, 0x110000]))    // beyond U+10FFFF
        XCTAssertNil(Vocabulary(codePoints: [UInt32.max]))
        XCTAssertNotNil(Vocabulary(codePoints: [0, 0xD7FF, 0xE000, 0x10FFFF]))
    }

    func testVocabulary_encodeNamesEveryUnknownCharacterWithItsCount() {
        let vocabulary = Vocabulary(building: "abc".unicodeScalars)
        XCTAssertThrowsError(try vocabulary.encode("abxxé\txx".unicodeScalars)) { error in
            XCTAssertEqual(error as? VocabularyError, .unknownCharacters(["x": 4, "é": 1, "\t": 1]))
            let message = String(describing: error)
            XCTAssertTrue(message.contains("'x' (U+0078) ×4"), message)
            XCTAssertTrue(message.contains("'é' (U+00E9) ×1"), message)
            XCTAssertTrue(message.contains("'\\t' (U+0009) ×1"), message)
            // Most frequent first.
            XCTAssertLessThan(message.range(of: "U+0078")!.lowerBound, message.range(of: "U+00E9")!.lowerBound)
        }
    }

    func testVocabulary_unknownCharactersCountsWithoutThrowing() {
        let vocabulary = Vocabulary(building: "ab".unicodeScalars)
        XCTAssertEqual(vocabulary.unknownCharacters(in: "abzz!".unicodeScalars), ["z": 2, "!": 1])
        XCTAssertEqual(vocabulary.unknownCharacters(in: "abba".unicodeScalars), [:])
    }

    func testDescribeCharacterCounts_showsAtMostTheLimitAndSaysHowManyMore() {
        var counts = [Unicode.Scalar: Int]()
        for (k, s) in "abcdefghijklmno".unicodeScalars.enumerated() { counts[s] = 100 - k }
        let message = describeCharacterCounts(counts, limit: 3)
        XCTAssertEqual(message, "'a' (U+0061) ×100, 'b' (U+0062) ×99, 'c' (U+0063) ×98, and 12 more")
    }

    func testVisibleCharacter_namesInvisibleCharactersByCodePoint() {
        XCTAssertEqual(visibleCharacter("\n"), "'\\n' (U+000A)")
        XCTAssertEqual(visibleCharacter("\u{0}"), "U+0000")
        XCTAssertEqual(visibleCharacter("\u{200B}"), "U+200B")        // zero-width space: a format character
        XCTAssertEqual(visibleCharacter("\u{1F600}"), "'😀' (U+1F600)")
        XCTAssertEqual(visibleCharacter(" "), "' ' (U+0020)")
        XCTAssertEqual(visibleCharacter("\u{2028}"), "U+2028")        // line separator: would break the line
        XCTAssertEqual(visibleCharacter("\u{A0}"), "U+00A0")          // no-break space: looks like a space
        XCTAssertEqual(visibleCharacter("\u{301}"), "U+0301")         // combining accent: would sit on the quote
        XCTAssertEqual(visibleCharacter("\u{E000}"), "U+E000")        // private use
    }
}
