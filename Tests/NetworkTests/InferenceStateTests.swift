import XCTest
import Kernels
@testable import RecurrentNetwork

final class InferenceStateTests: XCTestCase {
    /// Batch-1 steps against the unrolled training network, for a vocabulary small enough for
    /// layer 0's input table (V ≤ 4E) and one too large for it, across a reset, for every cell.
    func testInferenceState_stepsMatchTheUnrolledNetworkWithAndWithoutTheInputTable() {
        let cases = CellKind.allCases.flatMap { cell in [(9, 6), (30, 4)].map { (cell, $0.0, $0.1) } }
        for (cell, vocabulary, embedding) in cases {
            let config = ModelConfiguration(vocabularySize: vocabulary, embeddingSize: embedding, hiddenSize: 24, layers: 3,
                                            cell: cell)
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
                                       "\(cell) V \(vocabulary), pass \(pass), step \(t)")
                    }
                }
                state.reset()
            }
        }
    }

    /// A state whose fused weights are carved out of borrowed memory (a training run's sample
    /// uses the training network's idle gates) steps exactly as one with its own, whatever the
    /// memory held before (NaN here) and when the memory is too small for the copy.
    func testInferenceState_inBorrowedMemoryStepsExactlyAsInItsOwn() {
        for cell in CellKind.allCases {
            for (vocabulary, embedding) in [(9, 6), (30, 4)] {
                let config = ModelConfiguration(vocabularySize: vocabulary, embeddingSize: embedding, hiddenSize: 16,
                                                layers: 2, cell: cell)
                let model = CharModel(configuration: config, seed: 5)
                let own = InferenceState(model: model)
                for size in [100_000, 10] {
                    let workspace = FloatBuffer(count: size)
                    workspace.pointer.update(repeating: .nan, count: size)
                    let borrowed = InferenceState(model: model, workspace: workspace)
                    own.reset()
                    for token: Int32 in [1, 4, 2, 0, 3] {
                        own.step(token)
                        borrowed.step(token)
                        XCTAssertEqual(borrowed.logits.array, own.logits.array, "\(cell) V \(vocabulary), workspace \(size)")
                    }
                    if size == 10 { XCTAssertTrue(workspace.array.allSatisfy(\.isNaN), "a workspace too small was written to") }
                    else { XCTAssertFalse(workspace.array.allSatisfy(\.isNaN), "the fused weights were not put in the workspace") }
                }
            }
        }
    }

    /// Restoring a snapshot returns to that moment: the same logits, and the same steps after it,
    /// for one and two layers, with and without the input table, whatever ran in between, for every cell.
    func testInferenceState_restoreReturnsToTheSnapshotsState() {
        let cases = CellKind.allCases.flatMap { cell in [(9, 6, 2), (30, 4, 1)].map { (cell, $0.0, $0.1, $0.2) } }
        for (cell, vocabulary, embedding, layers) in cases {
            let config = ModelConfiguration(vocabularySize: vocabulary, embeddingSize: embedding, hiddenSize: 16, layers: layers,
                                            cell: cell)
            let state = InferenceState(model: CharModel(configuration: config, seed: 21))
            for token: Int32 in [1, 4, 2] { state.step(token) }
            let saved = state.snapshot()
            let logitsThen = state.logits.array
            var after = [[Float]]()
            for token: Int32 in [3, 0, 5, 7] { state.step(token); after.append(state.logits.array) }
            // Wander off (an odd number of steps, so the cell buffers are the other way round), then return.
            for token: Int32 in [8, 8, 1] { state.step(token) }
            let reused = state.snapshot()
            reused.copy(from: saved)
            state.restore(reused)
            XCTAssertEqual(state.logits.array, logitsThen)
            XCTAssertEqual(Array(UnsafeBufferPointer(start: reused.logits, count: vocabulary)), logitsThen)
            for (k, token) in ([3, 0, 5, 7] as [Int32]).enumerated() {
                state.step(token)
                XCTAssertEqual(state.logits.array, after[k], "\(cell) V \(vocabulary), step \(k) after restoring")
            }
            // save(into:) takes the same picture as snapshot().
            state.save(into: reused)
            state.step(2)
            let expected = state.logits.array
            state.restore(reused)
            state.step(2)
            XCTAssertEqual(state.logits.array, expected)
        }
    }
}
