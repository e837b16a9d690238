import XCTest
import Sampling

final class StopStringsTests: XCTestCase {
    func tail(_ text: String, capacity: Int = 8) -> TextTail {
        let tail = TextTail(capacity: capacity)
        text.unicodeScalars.forEach(tail.append)
        return tail
    }

    func testStopStrings_unescapeReadsLineBreaksTabsAndBackslashes() {
        XCTAssertEqual(try StopStrings.unescape("\\n\\n").get(), "\n\n")
        XCTAssertEqual(try StopStrings.unescape("a\\tb\\\\n").get(), "a\tb\\n")
        XCTAssertEqual(try StopStrings.unescape("END").get(), "END")
        XCTAssertEqual(StopStrings.escape("a\tb\\n\n"), "a\\tb\\\\n\\n")
    }

    func testStopStrings_unescapeRefusesEmptyStringsAndUnknownEscapes() {
        XCTAssertThrowsError(try StopStrings.unescape("").get()) { XCTAssertEqual($0 as? StopStringError, .empty) }
        XCTAssertThrowsError(try StopStrings.unescape("a\\q").get()) {
            XCTAssertTrue("\($0)".contains("\\q is not an escape"), "\($0)")
        }
        XCTAssertThrowsError(try StopStrings.unescape("end\\").get()) {
            XCTAssertTrue("\($0)".contains("a lone \\ at the end"), "\($0)")
        }
    }

    func testStopStrings_matchOnlyAtTheEndOfTheText() {
        let stops = StopStrings(["\n\n", "END", "END"])
        XCTAssertEqual(stops.strings, ["\n\n", "END"])
        XCTAssertEqual(stops.longest, 3)
        XCTAssertTrue(stops.matchEnd(of: tail("one\n\n")))
        XCTAssertTrue(stops.matchEnd(of: tail("THE END")))
        XCTAssertFalse(stops.matchEnd(of: tail("THE END.")))
        XCTAssertFalse(stops.matchEnd(of: tail("ND")))
        XCTAssertFalse(StopStrings().matchEnd(of: tail("anything")))
    }

    func testTextTail_keepsTheLastCharactersAndGrowsKeepingThem() {
        let t = tail("abcdefghijk", capacity: 4)
        XCTAssertEqual(t.suffix(10), "hijk")
        XCTAssertEqual(t.scalar(fromEnd: 0), "k")
        XCTAssertNil(t.scalar(fromEnd: 4))
        t.reserve(6)
        XCTAssertEqual(t.suffix(10), "hijk")
        "lm".unicodeScalars.forEach(t.append)
        XCTAssertEqual(t.suffix(10), "hijklm")
        t.clear()
        XCTAssertEqual(t.suffix(10), "")
    }
}
