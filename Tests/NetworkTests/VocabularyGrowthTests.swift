import XCTest
@testable import RecurrentNetwork

final class VocabularyGrowthTests: XCTestCase {
    func testGrowingVocabulary_keepsEveryOldWeightAndGivesNewRowsAFreshModelsValues() {
        let old = CharModel(configuration: ModelConfiguration(vocabularySize: 5, embeddingSize: 3, hiddenSize: 4, layers: 2), seed: 7)
        let grown = old.growingVocabulary(to: 8, seed: 11)
        let fresh = CharModel(configuration: grown.configuration, seed: 11)
        XCTAssertEqual(grown.configuration.vocabularySize, 8)
        for t in old.layout.tensors {
            let g = grown.layout.tensor(t.name), f = fresh.layout.tensor(t.name)
            let oldValues = Array(UnsafeBufferPointer(start: old.parameters.at(t.offset), count: t.count))
            let grownValues = Array(UnsafeBufferPointer(start: grown.parameters.at(g.offset), count: g.count))
            let freshValues = Array(UnsafeBufferPointer(start: fresh.parameters.at(f.offset), count: f.count))
            XCTAssertEqual(Array(grownValues.prefix(t.count)), oldValues, t.name)
            XCTAssertEqual(Array(grownValues.dropFirst(t.count)), Array(freshValues.dropFirst(t.count)), t.name)
            if ["embedding.weight", "decoder.weight", "decoder.bias"].contains(t.name) {
                XCTAssertEqual(g.shape[0], 8, t.name)
            } else {
                XCTAssertEqual(g.shape, t.shape, t.name)
            }
        }
    }
}
