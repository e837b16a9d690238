import XCTest
@testable import Training

/// The rule that tells divergence from a wide model's overshoot: a non-finite loss at once, a
/// finite one only after `patience` steps in a row above three times the uniform guess.
final class DivergenceGuardTests: XCTestCase {
    let vocabulary = 65

    func testGuard_boundIsThreeTimesTheUniformGuess() {
        XCTAssertEqual(DivergenceGuard(vocabularySize: vocabulary).bound, 3 * log(65.0), accuracy: 1e-12)
        // A one- or two-character vocabulary still has a bound of 3 nats.
        XCTAssertEqual(DivergenceGuard(vocabularySize: 1).bound, 3)
    }

    func testGuard_nonFiniteLossDivergesAtOnce() {
        for loss in [Double.nan, .infinity] {
            var guardian = DivergenceGuard(vocabularySize: vocabulary)
            XCTAssertTrue(guardian.record(loss: loss, step: 1), "\(loss)")
        }
    }

    func testGuard_lossAboveTheBoundDivergesOnlyAfterPatienceStepsInARow() {
        var guardian = DivergenceGuard(vocabularySize: vocabulary)
        let above = guardian.bound + 1
        XCTAssertFalse(guardian.record(loss: 4, step: 1))
        for step in 2 ..< 1 + DivergenceGuard.patience {
            XCTAssertFalse(guardian.record(loss: above, step: step), "step \(step)")
            XCTAssertTrue(guardian.isAboveBound)
        }
        XCTAssertTrue(guardian.record(loss: above, step: 1 + DivergenceGuard.patience))
        XCTAssertEqual(guardian.describe(atStep: 1 + DivergenceGuard.patience),
                       "loss \(above), above 3·ln V = 12.5 for \(DivergenceGuard.patience) steps since step 2")
    }

    func testGuard_aLossBackWithinTheBoundStartsTheCountAgain() {
        var guardian = DivergenceGuard(vocabularySize: vocabulary)
        let above = guardian.bound * 2
        for step in 1 ..< DivergenceGuard.patience { XCTAssertFalse(guardian.record(loss: above, step: step)) }
        XCTAssertFalse(guardian.record(loss: guardian.bound, step: DivergenceGuard.patience))
        XCTAssertFalse(guardian.isAboveBound)
        for step in 0 ..< DivergenceGuard.patience - 1 {
            XCTAssertFalse(guardian.record(loss: above, step: DivergenceGuard.patience + 1 + step))
        }
    }

    func testGuard_adviceNamesLearningRateTimesWidthAndSuggestsARate() {
        XCTAssertEqual(DivergenceGuard.advice(learningRate: 0.002, hiddenSize: 4096, clip: 5),
                       "lr × hidden = 0.002 × 4096 = 8.19; try a lower --lr (now 0.002), such as --lr 0.0005, or a lower --clip (now 5.0)")
        // Narrow: ten times lower; wide: lr × hidden brought to 2.
        XCTAssertTrue(DivergenceGuard.advice(learningRate: 0.01, hiddenSize: 64, clip: 5).contains("--lr 0.001,"))
        XCTAssertTrue(DivergenceGuard.advice(learningRate: 1e4, hiddenSize: 8, clip: 5).contains("--lr 0.2,"))
    }
}
