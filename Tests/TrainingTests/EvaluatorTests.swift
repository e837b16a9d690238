import XCTest
import RecurrentNetwork
@testable import Training

final class EvaluatorTests: XCTestCase {
    let configuration = ModelConfiguration(vocabularySize: 7, embeddingSize: 5, hiddenSize: 9, layers: 2)

    /// A token sequence with some structure, so the losses are not all alike.
    func tokens(_ count: Int) -> [Int32] {
        (0..<count).map { Int32(($0 * $0 + 3 * $0) % 7) }
    }

    /// Mean cross-entropy computed directly: one character at a time through the batch-1
    /// inference path, log-softmax in Double.
    func directLoss(_ model: CharModel, _ tokens: ArraySlice<Int32>) -> Double {
        let state = InferenceState(model: model)
        var total = 0.0
        for (input, target) in zip(tokens, tokens.dropFirst()) {
            state.step(input)
            let logits = (0..<model.configuration.vocabularySize).map { Double(state.logits[$0]) }
            let top = logits.max()!
            let logSum = top + log(logits.reduce(0) { $0 + exp($1 - top) })
            total += logSum - logits[Int(target)]
        }
        return total / Double(tokens.count - 1)
    }

    func testEvaluator_oneStreamEqualsTheDirectCharacterByCharacterLoss() {
        let model = CharModel(configuration: configuration, seed: 3)
        let text = tokens(61)
        // A window that does not divide the 60 predictions: the last window is shorter.
        let evaluator = Evaluator(model: model, tokens: text, batch: 1, window: 7)
        XCTAssertEqual(evaluator.predictionCount, 60)
        let expected = directLoss(model, text[...])
        XCTAssertEqual(evaluator.meanLoss(), expected, accuracy: 1e-5 * expected)
    }

    func testEvaluator_isTheSameWhateverTheWindow() {
        let model = CharModel(configuration: configuration, seed: 4)
        let text = tokens(100)
        let reference = Evaluator(model: model, tokens: text, batch: 1, window: 99).meanLoss()
        for window in [1, 5, 32] {
            XCTAssertEqual(Evaluator(model: model, tokens: text, batch: 1, window: window).meanLoss(),
                           reference, accuracy: 1e-5 * reference, "window \(window)")
        }
    }

    func testEvaluator_severalStreamsAverageEachStreamFromAFreshState() {
        let model = CharModel(configuration: configuration, seed: 5)
        let text = tokens(92)
        let evaluator = Evaluator(model: model, tokens: text, batch: 4, window: 6)
        // 92 tokens in 4 streams of 23: each stream is read from a fresh state to its end.
        XCTAssertEqual(evaluator.predictionCount, 4 * 22)
        let perStream = (0..<4).map { directLoss(model, text[($0 * 23)..<($0 * 23 + 23)]) }
        let expected = perStream.reduce(0, +) / 4
        XCTAssertEqual(evaluator.meanLoss(), expected, accuracy: 1e-5 * expected)
    }

    func testEvaluator_givesTheSameLossEachTimeItIsAsked() {
        let model = CharModel(configuration: configuration, seed: 6)
        let evaluator = Evaluator(model: model, tokens: tokens(80), batch: 3, window: 10)
        XCTAssertEqual(evaluator.meanLoss(), evaluator.meanLoss())
    }

    func testEvaluator_capsAHugeWindowToTheActivationBudgetWithTheSameLoss() {
        let wide = ModelConfiguration(vocabularySize: 7, embeddingSize: 8, hiddenSize: 256, layers: 2)
        let model = CharModel(configuration: wide, seed: 8)
        let text = tokens(12_001)
        let capped = Evaluator(model: model, tokens: text, batch: 1, window: 12_000)
        let rows = TrainingMemory.activationBudget / TrainingMemory.activationBytesPerRow(model: wide)
        XCTAssertLessThan(Double(capped.window), rows)
        XCTAssertGreaterThan(Double(capped.window), rows - 1)
        let reference = Evaluator(model: model, tokens: text, batch: 1, window: 1000).meanLoss()
        XCTAssertEqual(capped.meanLoss(), reference, accuracy: 1e-5 * reference)
    }

    func testEvaluator_usesFewerStreamsWhenTheTextIsShort() {
        let model = CharModel(configuration: configuration, seed: 7)
        let text = tokens(21)
        // 50 streams asked for, but 20 predictions only fill 2 windows of 10.
        let evaluator = Evaluator(model: model, tokens: text, batch: 50, window: 10)
        XCTAssertEqual(evaluator.predictionCount, 2 * 9)
    }
}
