import XCTest
import Kernels
import RecurrentNetwork
@testable import Sampling
import Tokenization

final class SampleBatchTests: XCTestCase {
    let vocabulary = Vocabulary(building: "abcdefghij klmnop\n".unicodeScalars)

    /// Text i of a batch, at bf16 and int8, is character for character what a `TextGenerator`
    /// alone writes with seed `seeds[i]`, with and without a prompt, with stop strings ending
    /// some texts early (so rows leave the batch while the others go on).
    func testSampleBatch_textIIsTheTextItsSeedWritesAlone() {
        let configuration = ModelConfiguration(vocabularySize: vocabulary.count, embeddingSize: 6, hiddenSize: 24, layers: 2)
        let model = CharModel(configuration: configuration, seed: 11)
        let settings = SamplingSettings(temperature: 1)
        let seeds: [UInt64] = [40, 41, 42, 43, 44]
        let stops = StopStrings(["ab", "k\n"])
        for precision in [WeightPrecision.bf16, .int8] {
            for prompt in ["", "abc d"] {
                let tokens = try! vocabulary.encode(prompt.unicodeScalars)
                let alone: [String] = seeds.map { seed in
                    let generator = TextGenerator(model: model, vocabulary: vocabulary, settings: settings, seed: seed, precision: precision)
                    generator.stops = stops
                    if !tokens.isEmpty { generator.feed(tokens) }
                    var out = String.UnicodeScalarView()
                    generator.continueText(count: 150) { out.append($0); return true }
                    return String(out)
                }
                let batch = SampleBatch(weights: FusedWeights(model: model, precision: precision), vocabulary: vocabulary,
                                        settings: settings, seeds: seeds)
                batch.drawers.forEach { $0.stops = stops }
                batch.feed(tokens)
                var together = [String.UnicodeScalarView](repeating: String.UnicodeScalarView(), count: seeds.count)
                for _ in 0..<150 where batch.activeCount > 0 {
                    batch.next { text, character in together[text].append(character); return true }
                }
                XCTAssertEqual(together.map(String.init), alone, "\(precision), prompt \(prompt.debugDescription)")
                XCTAssertTrue(alone.contains { $0.unicodeScalars.count < 150 } && alone.contains { $0.unicodeScalars.count == 150 },
                              "the test needs texts that stop early and texts that run to the end: \(alone)")
            }
        }
    }
}
