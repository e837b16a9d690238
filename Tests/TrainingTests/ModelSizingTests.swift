import XCTest
import Checkpoints
@testable import Training

final class ModelSizingTests: XCTestCase {
    func budget(steps: Int? = nil, epochs: Int? = nil, minutes: Double? = nil, threads: Int = 2) -> TrainingConfiguration {
        TrainingConfiguration(corpus: ["x"], batch: 50, sequenceLength: 50, learningRate: 2e-3, learningRateDecay: 1,
                              optimizer: .adam, clip: 5, validationFraction: 0.1, evaluateEvery: 500, keep: 5, seed: 1,
                              threads: threads, maxEpochs: epochs, maxSteps: steps, maxMinutes: minutes)
    }

    func size(_ chosen: ChosenSize) -> String { "\(chosen.layers)×\(chosen.hidden) \(chosen.dropout)" }

    func testTinyShakespeare_tenMinutesGetsAMidSizedModelWithDropout() {
        let chosen = ModelSizing.choose(vocabularySize: 65, trainingCharacters: 1_003_855, training: budget(minutes: 10))
        XCTAssertEqual(chosen.embedding, 64)
        XCTAssertGreaterThanOrEqual(chosen.hidden, 192, size(chosen))
        XCTAssertGreaterThan(chosen.dropout, 0, size(chosen))
        XCTAssertNotNil(chosen.assumedCharsPerSecond)
        // More time, a larger model; less, a smaller one.
        let hour = ModelSizing.choose(vocabularySize: 65, trainingCharacters: 1_003_855, training: budget(minutes: 60))
        let three = ModelSizing.choose(vocabularySize: 65, trainingCharacters: 1_003_855, training: budget(minutes: 3))
        XCTAssertGreaterThanOrEqual(hour.hidden * hour.layers, chosen.hidden * chosen.layers)
        XCTAssertLessThanOrEqual(three.hidden * three.layers, chosen.hidden * chosen.layers)
    }

    func testStepsAndEpochs_chooseTheSameWhateverTheMachine() {
        let a = ModelSizing.choose(vocabularySize: 80, trainingCharacters: 500_000, training: budget(steps: 3000))
        XCTAssertEqual(a, ModelSizing.choose(vocabularySize: 80, trainingCharacters: 500_000, training: budget(steps: 3000)))
        XCTAssertNil(a.assumedCharsPerSecond)
        XCTAssertEqual(a.budgetCharacters, 3000 * 2500)
        let epochs = ModelSizing.choose(vocabularySize: 80, trainingCharacters: 500_000, training: budget(epochs: 4))
        XCTAssertEqual(epochs.budgetCharacters, 2_000_000)
        XCTAssertEqual(epochs.epochs, 4)
    }

    /// A 20 KB corpus gets the smallest model with strong dropout; a gigabyte read less than once, none.
    func testCorpusSize_boundsTheModelAndSetsTheDropout() {
        let small = ModelSizing.choose(vocabularySize: 60, trainingCharacters: 18_000, training: budget(minutes: 10))
        XCTAssertEqual(size(small), "2×64 0.4")
        let huge = ModelSizing.choose(vocabularySize: 200, trainingCharacters: 1_000_000_000, training: budget(minutes: 10))
        XCTAssertEqual(huge.dropout, 0)
        XCTAssertLessThan(huge.epochs, 1)
        XCTAssertGreaterThanOrEqual(huge.hidden, 128, size(huge))
    }

    func testDropout_isNoneForAFewPassesAndRisesWithThemToAtMostPointFour() {
        XCTAssertEqual(ModelSizing.dropout(epochs: 0.5), 0)
        XCTAssertEqual(ModelSizing.dropout(epochs: 2), 0)
        let rising = [4.0, 16, 64, 1e6].map { ModelSizing.dropout(epochs: $0) }
        XCTAssertEqual(rising, rising.sorted())
        XCTAssertEqual(rising.last, 0.4)
        XCTAssertTrue(rising.allSatisfy { abs(($0 * 20).rounded() - $0 * 20) < 1e-4 }, "\(rising)")
    }
}
