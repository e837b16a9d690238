import XCTest
import Kernels
@testable import Network

final class InferenceStateTests: XCTestCase {
    /// Batch-1 steps against the unrolled training network, for a vocabulary small enough for
    /// layer 0's input table (V ≤ 4E) and one too large for it, across a reset.
    func testInferenceState_stepsMatchTheUnrolledNetworkWithAndWithoutTheInputTable() {
        for (vocabulary, embedding) in [(9, 6), (30, 4)] {
            let config = ModelConfiguration(vocabularySize: vocabulary, embeddingSize: embedding, hiddenSize: 24, layers: 3)
            let model = CharModel(configuration: config, seed: 12)
            var data = SeededGenerator(seed: 13)
            let tokens = (0..<9).map { _ in Int32(data.next() % UInt64(vocabulary)) }
            let network = UnrolledNetwork(model: model, batch: 1, maxSteps: tokens.count)
            var rng = SeededGenerator(seed: 0)
            network.forward(inputs: tokens, targets: tokens, steps: tokens.count, training: false, rng: &rng)
            let state = InferenceState(model: model)
            for pass in 0..<2 {
                for (t, token) in tokens.enumerated() {
                    state.step(token)
                    for j in 0..<vocabulary {
                        XCTAssertEqual(state.logits[j], network.logits[t * vocabulary + j], accuracy: 1e-5,
                                       "V \(vocabulary), pass \(pass), step \(t)")
                    }
                }
                state.reset()
            }
        }
    }
}
