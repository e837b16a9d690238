import XCTest
import RecurrentNetwork
@testable import Training

final class DynamicEvaluationTests: XCTestCase {
    /// A model that never saw the text predicts it better as it reads it when it adapts: a
    /// pattern that repeats through the text is learnt in the first windows and used after.
    /// The model it copied is untouched, and the first window is scored before any step.
    func testDynamicEvaluation_learnsARepeatedPatternAndLeavesTheOriginalAlone() {
        let config = ModelConfiguration(vocabularySize: 6, embeddingSize: 4, hiddenSize: 16, layers: 1, dropout: 0.3,
                                        embeddingDropout: 0.2, weightDrop: 0.2)
        let model = CharModel(configuration: config, seed: 2)
        let original = model.parameters.array
        let text = (0..<2000).map { Int32([0, 1, 2, 3, 1, 4, 5, 2][$0 % 8]) }
        let statics = Evaluator(model: model, tokens: text, batch: 1, window: 20).meanLoss()
        let copy = model.adaptableCopy()
        XCTAssertEqual(copy.configuration.dropout, 0)
        XCTAssertEqual(copy.configuration.weightDrop, 0)
        XCTAssertEqual(copy.configuration.embeddingDropout, 0)
        let dynamic = Evaluator(model: copy, tokens: text, batch: 1, window: 20).dynamicMeanLoss(learningRate: 1e-2)
        XCTAssertLessThan(dynamic, statics - 0.3, "static \(statics), dynamic \(dynamic)")
        XCTAssertEqual(model.parameters.array, original, "the evaluated model's own weights changed")
        XCTAssertNotEqual(copy.parameters.array, original)
        // One window only: scored before the step, so it equals the static loss.
        let short = Array(text.prefix(21))
        XCTAssertEqual(Evaluator(model: model.adaptableCopy(), tokens: short, batch: 1, window: 20).dynamicMeanLoss(learningRate: 1e-2),
                       Evaluator(model: model, tokens: short, batch: 1, window: 20).meanLoss(), accuracy: 1e-9)
    }
}
