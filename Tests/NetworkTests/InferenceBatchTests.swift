import XCTest
import Kernels
@testable import RecurrentNetwork

final class InferenceBatchTests: XCTestCase {
    /// Every row of a batch steps as its own `InferenceState` does, while rows join (fresh),
    /// leave (the last row moving into the gap) and the batch runs one row or several, for every
    /// cell, with and without layer 0's input table, at every precision: to rounding in fp32
    /// (BLAS's GEMM against its GEMV), and bit for bit in bf16 and int8, where a row's products
    /// do not depend on the other rows or on the threads (run here on one and on two).
    func testInferenceBatch_eachRowStepsAsItsOwnStateWhileRowsJoinAndLeave() {
        let pool = WorkerPool.shared, threads = pool.parallelism
        defer { pool.parallelism = threads }
        let cases = CellKind.allCases.flatMap { cell in
            [(9, 6), (30, 4)].flatMap { sizes in WeightPrecision.allCases.map { (cell, sizes.0, sizes.1, $0) } }
        }
        for (index, (cell, vocabulary, embedding, precision)) in cases.enumerated() {
            pool.parallelism = 1 + index % 2
            let config = ModelConfiguration(vocabularySize: vocabulary, embeddingSize: embedding, hiddenSize: 20, layers: 2, cell: cell)
            let weights = FusedWeights(model: CharModel(configuration: config, seed: 31), precision: precision)
            let batch = InferenceBatch(weights: weights, capacity: 4)
            var solo: [InferenceState] = []
            var data = SeededGenerator(seed: 32)
            func join() {
                batch.resetRow(solo.count)
                solo.append(InferenceState(weights: weights))
            }
            func leave(_ row: Int) {
                batch.moveRow(solo.count - 1, to: row)
                solo.swapAt(row, solo.count - 1)
                solo.removeLast()
            }
            join()
            for step in 0..<24 {
                if step == 3 || step == 5 || step == 6 { join() }
                if step == 12 { leave(1) }
                if step == 18 { leave(0); leave(0) }
                let tokens = solo.map { _ in Int32(data.next() % UInt64(vocabulary)) }
                tokens.withUnsafeBufferPointer { batch.step($0) }
                for (row, state) in solo.enumerated() {
                    state.step(tokens[row])
                    for j in 0..<vocabulary {
                        XCTAssertEqual(batch.logits(of: row)[j], state.logits[j], accuracy: precision == .fp32 ? 1e-5 : 0,
                                       "\(cell) V \(vocabulary) \(precision), step \(step), row \(row)")
                    }
                }
            }
        }
    }

    /// Split across threads (by column panels: 800 gate columns, not a whole number of panels),
    /// a batch computes the very same numbers as on one thread.
    func testInferenceBatch_threadsChangeNothingInTheResults() {
        let config = ModelConfiguration(vocabularySize: 70, embeddingSize: 8, hiddenSize: 200, layers: 2)
        let weights = FusedWeights(model: CharModel(configuration: config, seed: 41))
        let one = InferenceBatch(weights: weights, capacity: 5), three = InferenceBatch(weights: weights, capacity: 5)
        three.threads = 3
        var data = SeededGenerator(seed: 42)
        for rows in [5, 5, 1, 3, 2] {
            let tokens = (0..<rows).map { _ in Int32(data.next() % 70) }
            tokens.withUnsafeBufferPointer { one.step($0); three.step($0) }
            for row in 0..<rows {
                XCTAssertEqual(Array(UnsafeBufferPointer(start: one.logits(of: row), count: 70)),
                               Array(UnsafeBufferPointer(start: three.logits(of: row), count: 70)), "\(rows) rows, row \(row)")
            }
        }
    }

    /// bf16 and int8 weights change the logits of a model only a little: over a run of steps
    /// (the state carrying the errors along), every logit stays within 0.02 (bf16) and 0.05
    /// (int8) of fp32's, for logits of order 1, for every cell, with and without the input table.
    func testInferenceState_reducedPrecisionLogitsStayCloseToFP32() {
        let cases = CellKind.allCases.flatMap { cell in [(9, 6), (30, 4)].map { (cell, $0.0, $0.1) } }
        for (cell, vocabulary, embedding) in cases {
            let config = ModelConfiguration(vocabularySize: vocabulary, embeddingSize: embedding, hiddenSize: 64, layers: 2, cell: cell)
            let model = CharModel(configuration: config, seed: 41)
            let exact = InferenceState(model: model)
            let reduced = [(WeightPrecision.bf16, Float(0.02)), (.int8, 0.05)].map { (InferenceState(model: model, precision: $0.0), $0.1) }
            var data = SeededGenerator(seed: 42)
            var largest: Float = 0
            for step in 0..<40 {
                let token = Int32(data.next() % UInt64(vocabulary))
                exact.step(token)
                for (state, bound) in reduced {
                    state.step(token)
                    for j in 0..<vocabulary {
                        largest = max(largest, abs(exact.logits[j]))
                        XCTAssertEqual(state.logits[j], exact.logits[j], accuracy: bound, "\(cell) V \(vocabulary) \(state.weights.precision), step \(step)")
                    }
                }
            }
            XCTAssertGreaterThan(largest, 0.1, "the logits are too small for the test to tell anything")
        }
    }
}
