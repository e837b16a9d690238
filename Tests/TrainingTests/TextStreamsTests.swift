import XCTest
@testable import Training

final class TextStreamsTests: XCTestCase {
    /// Tokens 0, 1, 2, … so every value says where it came from.
    let tokens = (0..<23).map(Int32.init)

    func fill(_ streams: TextStreams, start: Int, length: Int) -> (inputs: [Int32], targets: [Int32]) {
        var inputs = [Int32](repeating: -1, count: length * streams.batch)
        var targets = inputs
        inputs.withUnsafeMutableBufferPointer { i in
            targets.withUnsafeMutableBufferPointer { t in
                streams.fill(start: start, length: length, inputs: i.baseAddress!, targets: t.baseAddress!)
            }
        }
        return (inputs, targets)
    }

    func testTextStreams_cutsTheTextIntoEqualStreamsAndDropsTheRemainder() {
        let streams = TextStreams(tokens: tokens, batch: 3)
        XCTAssertEqual(streams.streamLength, 7)          // ⌊23 / 3⌋; tokens 21 and 22 are never used
        XCTAssertEqual(streams.predictionsPerPass, 18)   // 6 predictions in each of 3 streams
        XCTAssertEqual(streams.windows(steps: 3), 2)
        XCTAssertEqual(streams.windows(steps: 6), 1)
        XCTAssertEqual(streams.windows(steps: 7), 0)
    }

    func testTextStreams_windowIsTimeMajorAndTargetsAreTheNextCharacters() {
        let streams = TextStreams(tokens: tokens, batch: 3)
        let (inputs, targets) = fill(streams, start: 3, length: 3)
        // Step t of stream b is element t·3 + b; stream b starts at token 7b.
        XCTAssertEqual(inputs, [3, 10, 17, 4, 11, 18, 5, 12, 19])
        XCTAssertEqual(targets, inputs.map { $0 + 1 })
    }

    func testTextStreams_everyPassPredictsEachCharacterOfEveryStreamOnceWithoutCrossingStreams() {
        let streams = TextStreams(tokens: tokens, batch: 3)
        var predicted = [Int32]()
        for window in 0..<streams.windows(steps: 2) {
            let (inputs, targets) = fill(streams, start: window * 2, length: 2)
            XCTAssertEqual(targets, inputs.map { $0 + 1 })
            predicted += targets
        }
        // Each stream b predicts tokens 7b+1 … 7b+6 exactly once: nothing from the next stream.
        XCTAssertEqual(predicted.sorted(), [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 15, 16, 17, 18, 19, 20])
    }

    func testTextStreams_singleStreamIsTheWholeText() {
        let streams = TextStreams(tokens: tokens, batch: 1)
        XCTAssertEqual(streams.streamLength, 23)
        let (inputs, targets) = fill(streams, start: 0, length: 22)
        XCTAssertEqual(inputs, Array(tokens.dropLast()))
        XCTAssertEqual(targets, Array(tokens.dropFirst()))
    }
}
