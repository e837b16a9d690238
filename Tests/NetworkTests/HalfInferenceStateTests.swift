import XCTest
import Kernels
@testable import Network

final class HalfInferenceStateTests: XCTestCase {
    /// Half weights move the logits only a little, and it does not build up through the state:
    /// a few hundred steps of the same tokens into an fp32 and a half state, for every cell.
    func testInferenceState_halfWeightsStayCloseToSingleOverManySteps() {
        for cell in CellKind.allCases {
            let config = ModelConfiguration(vocabularySize: 30, embeddingSize: 8, hiddenSize: 96, layers: 2, cell: cell)
            let model = CharModel(configuration: config, seed: 5)
            let single = InferenceState(model: model), half = InferenceState(model: model, weights: .half)
            var data = SeededGenerator(seed: 6)
            var worstLogit: Float = 0, worstLogProbability: Float = 0
            for _ in 0..<300 {
                let token = Int32(data.next() % 30)
                single.step(token)
                half.step(token)
                let a = single.logits.array, b = half.logits.array
                let scale = a.map(abs).max()!
                worstLogit = max(worstLogit, zip(a, b).map { abs($0 - $1) }.max()! / scale)
                func logSoftmax(_ v: [Float]) -> [Float] {
                    let m = v.max()!, z = log(v.map { exp($0 - m) }.reduce(0, +)) + m
                    return v.map { $0 - z }
                }
                worstLogProbability = max(worstLogProbability, zip(logSoftmax(a), logSoftmax(b)).map { abs($0 - $1) }.max()!)
            }
            print("\(cell): worst relative logit difference \(worstLogit), worst log-probability difference \(worstLogProbability)")
            XCTAssertLessThan(worstLogit, 5e-3, "\(cell)")
            XCTAssertLessThan(worstLogProbability, 2e-3, "\(cell)")
            XCTAssertGreaterThan(worstLogit, 0, "\(cell): the half state must actually use half weights")
        }
    }

    /// Snapshots work the same with half weights: restoring returns to the same logits and steps.
    func testInferenceState_halfWeightsRestoreTheSnapshotsState() {
        let config = ModelConfiguration(vocabularySize: 9, embeddingSize: 6, hiddenSize: 16, layers: 2)
        let state = InferenceState(model: CharModel(configuration: config, seed: 2), weights: .half)
        for token: Int32 in [1, 4, 2] { state.step(token) }
        let saved = state.snapshot(), then = state.logits.array
        state.step(3)
        let next = state.logits.array
        state.step(5)
        state.restore(saved)
        XCTAssertEqual(state.logits.array, then)
        state.step(3)
        XCTAssertEqual(state.logits.array, next)
    }
}
