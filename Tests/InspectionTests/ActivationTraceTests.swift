import Inspection
import Kernels
import RecurrentNetwork
import XCTest

final class ActivationTraceTests: XCTestCase {
    private func trace(cell: CellKind = .lstm) -> (ActivationTrace, InferenceState, [Int32]) {
        let model = CharModel(configuration: ModelConfiguration(vocabularySize: 7, embeddingSize: 4, hiddenSize: 6, layers: 2, cell: cell),
                              seed: 3)
        var rng = SeededGenerator(seed: 9)
        let tokens = (0..<300).map { _ in Int32(rng.next() % 7) }
        let text = tokens.map { Unicode.Scalar(UInt8(97 + $0)) }
        return (ActivationTrace(model: model, tokens: tokens, text: text), InferenceState(model: model), tokens)
    }

    func testActivationTrace_levelsFollowTheStepsAndCellsUseTheWholeScale() {
        let (trace, state, tokens) = trace()
        let n = tokens.count, q = trace.quantities.count, h = trace.hiddenSize, top = ActivationTrace.levelCount - 1
        XCTAssertEqual(trace.quantities, [.hidden, .cell, .keep, .write, .read])
        // The read gate of layer 1, unit 2, recomputed step by step.
        let read = trace.quantities.firstIndex(of: .read)!, series = (1 * q + read) * h + 2
        for (t, token) in tokens.enumerated() {
            state.step(token)
            XCTAssertEqual(Int(trace.levels[series * n + t]), Int((state.quantity(.read, layer: 1)[2] * Float(top)).rounded()))
        }
        // Each cell state is divided by its largest magnitude, so it reaches an end of the scale.
        let cell = trace.quantities.firstIndex(of: .cell)!
        for l in 0..<2 {
            for unit in 0..<h {
                let s = (l * q + cell) * h + unit
                let levels = trace.levels[s * n ..< (s + 1) * n]
                XCTAssert(levels.contains(0) || levels.contains(UInt8(top)), "cell \(l)/\(unit)")
                XCTAssertGreaterThan(trace.scales[s], 0)
            }
        }
    }

    func testActivationTrace_guessesAreTheMostProbableCharactersInOrder() {
        let (trace, _, tokens) = trace()
        XCTAssertEqual(trace.guesses.tokens.count, tokens.count * 5)
        for t in 0..<tokens.count {
            let p = trace.guesses.probabilities[t * 5 ..< t * 5 + 5]
            XCTAssertEqual(Array(p), p.sorted(by: >))
            XCTAssertLessThanOrEqual(p.reduce(0, +), 1.0001)
            XCTAssertEqual(Set(trace.guesses.tokens[t * 5 ..< t * 5 + 5]).count, 5)
        }
    }

    func testActivationTrace_recordsEachCellsOwnQuantitiesAndGates() {
        XCTAssertEqual(trace(cell: .gru).0.quantities, [.hidden, .reset, .update, .candidate])
        XCTAssertEqual(trace(cell: .gru).0.saturation.map(\.gate), [.reset, .update, .reset, .update])
        XCTAssertEqual(trace(cell: .rnn).0.saturation.count, 0)
        for entry in trace().0.saturation {
            XCTAssert(zip(entry.below, entry.above).allSatisfy { $0 >= 0 && $1 >= 0 && $0 + $1 <= 1 })
        }
    }
}
