@testable import Inspection
import XCTest

final class TextPropertyTests: XCTestCase {
    private func values(_ property: TextProperty, _ text: String) -> [Float] { property.values(of: Array(text.unicodeScalars)) }

    func testInsideQuotes_coversFromOpeningToClosingQuote() {
        XCTAssertEqual(values(.insideQuotes, "a\"bc\"d“e”"), [0, 1, 1, 1, 0, 0, 1, 1, 0])
    }

    func testInsideBrackets_countsNestingAndIgnoresStrayClosers() {
        XCTAssertEqual(values(.insideBrackets, ")a(b[c)d]e"), [0, 0, 1, 1, 1, 1, 1, 1, 0, 0])
    }

    func testPositionInLine_restartsAfterLineBreaks() {
        XCTAssertEqual(values(.positionInLine, "ab\ncd"), [1, 2, 0, 1, 2])
    }

    func testStartOfWord_marksLettersAfterNonLetters() {
        XCTAssertEqual(values(.startOfWord, "to be, é"), [1, 0, 0, 1, 0, 0, 0, 1])
    }

    func testCorrelationAccumulator_matchesPearsonAndIsZeroForConstants() {
        let xs: [Float] = [1, 2, 3, 4, 5], ys: [Double] = [2, 1, 4, 3, 6]
        var accumulator = CorrelationAccumulator(seriesCount: 2, propertyCount: 1)
        for (x, y) in zip(xs, ys) {
            [x, 7].withUnsafeBufferPointer { accumulator.add($0, firstSeries: 0, properties: [y]) }
            accumulator.finishStep(properties: [y])
        }
        // r = Σdx·dy / √(Σdx²·Σdy²) about the means 3 and 3.2, by hand: Σdx·dy = 10, Σdx² = 10, Σdy² = 14.8.
        XCTAssertEqual(accumulator.correlation(series: 0, property: 0), 10 / (10 * 14.8).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(accumulator.correlation(series: 1, property: 0), 0)
    }
}
