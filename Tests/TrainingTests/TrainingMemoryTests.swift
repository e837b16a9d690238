import XCTest
import RecurrentNetwork
@testable import Training

final class TrainingMemoryTests: XCTestCase {
    func testTrainingMemory_countsFourCopiesOfTheWeightsPlusOneSliceOfActivations() {
        let model = ModelConfiguration(vocabularySize: 65, embeddingSize: 64, hiddenSize: 128, layers: 2)
        let fixed = 4.0 * 4 * Double(ParameterLayout(model).totalCount) + 4.0 * 4 * 128 * 128
        let perRow = TrainingMemory.activationBytesPerRow(model: model)
        XCTAssertEqual(TrainingMemory.microBatches(model: model, batch: 50, sequenceLength: 50), 1)
        XCTAssertEqual(TrainingMemory.estimatedBytes(model: model, batch: 50, sequenceLength: 50),
                       fixed + 2500 * perRow, accuracy: 1)
    }

    func testTrainingMemory_splitsBigBatchesIntoEqualSlicesUnderTheBudget() {
        let medium = ModelConfiguration(vocabularySize: 65, embeddingSize: 64, hiddenSize: 512, layers: 2)
        let slices = TrainingMemory.microBatches(model: medium, batch: 64, sequenceLength: 64)
        XCTAssertEqual(slices, 2)
        let sliceBytes = TrainingMemory.activationBytesPerRow(model: medium) * Double(64 / slices * 64)
        XCTAssertLessThanOrEqual(sliceBytes, TrainingMemory.activationBudget)
        XCTAssertGreaterThan(2 * sliceBytes, TrainingMemory.activationBudget)  // the fewest slices that fit
    }

    func testTrainingMemory_neverSlicesBelowTheMinimumStreams() {
        // 3×512 at seq 128 would need four slices of 16 streams to fit the budget; it gets two of 32.
        let large = ModelConfiguration(vocabularySize: 65, embeddingSize: 64, hiddenSize: 512, layers: 3)
        XCTAssertEqual(TrainingMemory.microBatches(model: large, batch: 64, sequenceLength: 128), 2)
        // A batch at or below the minimum is never split, however long the sequence.
        XCTAssertEqual(TrainingMemory.microBatches(model: large, batch: 7, sequenceLength: 20_000), 1)
        XCTAssertEqual(TrainingMemory.microBatches(model: large, batch: 32, sequenceLength: 20_000), 1)
        // Below the budget nothing is split, and the budget can force slices of any width.
        XCTAssertEqual(TrainingMemory.microBatches(model: large, batch: 64, sequenceLength: 128, budget: .infinity), 1)
        XCTAssertEqual(TrainingMemory.microBatches(model: large, batch: 8, sequenceLength: 4, budget: 1), 1)
        XCTAssertEqual(TrainingMemory.microBatches(model: large, batch: 8, sequenceLength: 4, budget: 1, minimumStreams: 1), 8)
    }

    func testTrainingMemory_refusesARunBiggerThanTheMemoryWithAdvice() {
        let huge = ModelConfiguration(vocabularySize: 100, embeddingSize: 64, hiddenSize: 16384, layers: 64)
        XCTAssertThrowsError(try TrainingMemory.check(model: huge, batch: 50, sequenceLength: 50, available: 24e9)) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.contains("64×16384 LSTM") && message.contains("24.0 GB"), message)
            XCTAssertTrue(message.contains("--hidden") && message.contains("--batch"), message)
        }
        let small = ModelConfiguration(vocabularySize: 100, embeddingSize: 64, hiddenSize: 128, layers: 2)
        XCTAssertNoThrow(try TrainingMemory.check(model: small, batch: 50, sequenceLength: 50, available: 24e9))
        XCTAssertThrowsError(try TrainingMemory.check(model: small, batch: 50, sequenceLength: 50, available: 1e6))
    }
}
