import XCTest
@testable import Tokenization

final class UTF8DecoderTests: XCTestCase {
    /// Decodes `bytes`, returning the scalars or the error thrown.
    func decode(_ bytes: [UInt8], policy: InvalidUTF8Policy = .fail) -> Result<[Unicode.Scalar], CorpusError> {
        var scalars = [Unicode.Scalar]()
        do {
            try bytes.withUnsafeBufferPointer { buffer in
                try UTF8Decoder.decode(buffer, file: "t.txt", policy: policy) { scalars.append($0) }
            }
            return .success(scalars)
        } catch {
            return .failure(error as! CorpusError)
        }
    }

    func assertInvalid(_ bytes: [UInt8], at offset: Int, file: StaticString = #filePath, line: UInt = #line) {
        switch decode(bytes) {
        case .success(let scalars):
            XCTFail("decoded \(scalars) from invalid bytes \(bytes)", file: file, line: line)
        case .failure(let error):
            XCTAssertEqual(error, .invalidUTF8(file: "t.txt", byteOffset: offset), file: file, line: line)
        }
    }

    func testUTF8Decoder_decodesValidTextOfEveryLength() {
        // 1, 2, 3 and 4 bytes, and the edges of each range.
        let text = "a\u{7F}é\u{80}\u{7FF}€\u{800}\u{D7FF}\u{E000}\u{FFFF}𝄞\u{10000}\u{10FFFF}中文 🌍"
        XCTAssertEqual(try decode(Array(text.utf8)).get(), Array(text.unicodeScalars))
    }

    func testUTF8Decoder_decodesEmptyInputToNothing() {
        XCTAssertEqual(try decode([]).get(), [])
    }

    func testUTF8Decoder_rejectsOverlongForms() {
        assertInvalid([0x41, 0xC0, 0x80], at: 1)              // U+0000 in two bytes
        assertInvalid([0x41, 0x42, 0xC1, 0xBF], at: 2)        // U+007F in two bytes
        assertInvalid([0xE0, 0x80, 0x80], at: 0)              // U+0000 in three bytes
        assertInvalid([0x20, 0xE0, 0x9F, 0xBF], at: 1)        // U+07FF in three bytes
        assertInvalid([0xF0, 0x8F, 0xBF, 0xBF], at: 0)        // U+FFFF in four bytes
    }

    func testUTF8Decoder_rejectsSurrogates() {
        assertInvalid([0x61, 0xED, 0xA0, 0x80], at: 1)        // U+D800
        assertInvalid([0xED, 0xBF, 0xBF], at: 0)              // U+DFFF
        assertInvalid(Array("ok ".utf8) + [0xED, 0xB0, 0x80], at: 3)
    }

    func testUTF8Decoder_rejectsValuesAboveU10FFFF() {
        assertInvalid([0xF4, 0x90, 0x80, 0x80], at: 0)        // U+110000
        assertInvalid([0x61, 0xF5, 0x80, 0x80, 0x80], at: 1)  // lead bytes F5–FF never occur
        assertInvalid([0xF8, 0x88, 0x80, 0x80, 0x80], at: 0)
        assertInvalid([0xFF], at: 0)
    }

    func testUTF8Decoder_rejectsSequencesTruncatedAtTheEnd() {
        let prefix = Array("text ".utf8)
        assertInvalid(prefix + [0xC3], at: 5)                 // é missing its second byte
        assertInvalid(prefix + [0xE2, 0x82], at: 5)           // € missing its last byte
        assertInvalid(prefix + [0xF0, 0x9F, 0x8C], at: 5)     // 🌍 missing its last byte
    }

    func testUTF8Decoder_rejectsSequencesCutShortByAnotherCharacter() {
        assertInvalid([0xE2, 0x82, 0x41], at: 0)
        assertInvalid([0x41, 0xC3, 0xC3, 0xA9], at: 1)
    }

    func testUTF8Decoder_rejectsStrayContinuationBytes() {
        assertInvalid([0x80], at: 0)
        assertInvalid(Array("abc".utf8) + [0xBF, 0x61], at: 3)
        assertInvalid(Array("é".utf8) + [0xA9], at: 2)        // one continuation too many
    }

    /// Text in 1- to 4-byte characters, with the byte offset where each character starts.
    let mixedText = String(repeating: "a é € 𝄞\n", count: 20)
    var boundaries: [Int] {
        var offsets = [0]
        for s in mixedText.unicodeScalars { offsets.append(offsets.last! + String(s).utf8.count) }
        return offsets
    }

    func testUTF8Decoder_textCutAtEveryByteIsValidExactlyAtCharacterBoundaries() {
        let bytes = Array(mixedText.utf8)
        let starts = boundaries
        for cut in 0...bytes.count {
            if starts.contains(cut) {
                XCTAssertEqual(try decode(Array(bytes[..<cut])).get().count, starts.firstIndex(of: cut)!)
            } else {
                // Cut inside a character: the error is where that character starts.
                assertInvalid(Array(bytes[..<cut]), at: starts.last { $0 < cut }!)
            }
        }
    }

    func testUTF8Decoder_reportsTheFirstBadSequenceOnly() {
        assertInvalid(Array("€€".utf8) + [0xFF] + Array("x".utf8) + [0xC0], at: 6)
    }

    func testUTF8Decoder_replacePolicyMatchesStringDecodingOnEveryKindOfBadSequence() {
        let cases: [[UInt8]] = [
            [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
            [0x61, 0xE2, 0x82], [0xE2, 0x82, 0x41], [0x80, 0xBF, 0x61], [0xF0, 0x9F, 0x8C, 0x41, 0xF0],
            [0xFF, 0xFE, 0x00, 0x61], Array("fine".utf8),
        ]
        for bytes in cases {
            let replaced = try? decode(bytes, policy: .replace).get()
            XCTAssertEqual(replaced, Array(String(decoding: bytes, as: UTF8.self).unicodeScalars), "bytes \(bytes)")
            XCTAssertTrue(replaced?.contains("\u{FFFD}") ?? false || bytes == Array("fine".utf8))
        }
    }
}
