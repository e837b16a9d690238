import XCTest
import Network
@testable import Training

final class TrainingMemoryTests: XCTestCase {
    func testTrainingMemory_countsFourCopiesOfTheWeightsPlusTheUnrolledBuffers() {
        let model = ModelConfiguration(vocabularySize: 65, embeddingSize: 64, hiddenSize: 128, layers: 2)
        let weights = 4.0 * 4 * Double(ParameterLayout(model).totalCount)
        let withOneCharacter = TrainingMemory.estimatedBytes(model: model, batch: 1, sequenceLength: 1)
        let withBatch = TrainingMemory.estimatedBytes(model: model, batch: 50, sequenceLength: 50)
        XCTAssertGreaterThan(withOneCharacter, weights)
        // The unrolled part grows with B·T exactly.
        XCTAssertEqual(withBatch - weights, 2500 * (withOneCharacter - weights), accuracy: 1)
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
