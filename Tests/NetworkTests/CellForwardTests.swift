import XCTest
import Foundation
import Kernels
@testable import RecurrentNetwork

final class CellForwardTests: XCTestCase {
    /// The fused, GEMM-based layer of `cell` against a direct transcription of its equations
    /// (DESIGN.md's for the LSTM, PyTorch's nn.GRU and nn.RNN documentation for the others), one
    /// gate and one unit at a time, in Double, from a non-zero carried-in state.
    func checkForwardAgainstNaiveLoop(_ cell: CellKind) {
        let input = 5, hidden = 18, batch = 2, steps = 4
        let config = ModelConfiguration(vocabularySize: 3, embeddingSize: input, hiddenSize: hidden, layers: 1, cell: cell)
        let model = CharModel(configuration: config, seed: 7)
        let layer = cell.makeLayer(inputSize: input, hiddenSize: hidden, batch: batch, maxSteps: steps,
                                   layerIndex: 0, layout: model.layout)
        var rng = SeededGenerator(seed: 8)
        let x = FloatBuffer((0..<steps * batch * input).map { _ in rng.nextGaussian() })
        for state in layer.core.states {
            for k in 0..<batch * hidden { state[k] = 0.5 * rng.nextGaussian() }
        }
        let initial = layer.core.states.map { $0.array }
        layer.forward(.dense(x.pointer), steps: steps, parameters: model.parameters.pointer)

        let p = model.parameters
        func offset(_ tensor: ParameterLayout.RecurrentTensor) -> Int {
            model.layout.offset(ParameterLayout.name(tensor, layer: 0, cell: cell))
        }
        let wih = offset(.weightIH), whh = offset(.weightHH), bih = offset(.biasIH), bhh = offset(.biasHH)
        func sigmoid(_ z: Double) -> Double { 1 / (1 + exp(-z)) }
        for b in 0..<batch {
            var h = (0..<hidden).map { Double(initial[0][b * hidden + $0]) }
            var c = cell == .lstm ? (0..<hidden).map { Double(initial[1][b * hidden + $0]) } : []
            for t in 0..<steps {
                // The input side W_i·x + b_i and the hidden side W_h·h + b_h of gate block `gate`, unit u.
                func inputSide(_ gate: Int, _ u: Int) -> Double {
                    let row = gate * hidden + u
                    var z = Double(p[bih + row])
                    for k in 0..<input { z += Double(p[wih + row * input + k]) * Double(x[(t * batch + b) * input + k]) }
                    return z
                }
                func hiddenSide(_ gate: Int, _ u: Int) -> Double {
                    let row = gate * hidden + u
                    var z = Double(p[bhh + row])
                    for k in 0..<hidden { z += Double(p[whh + row * hidden + k]) * h[k] }
                    return z
                }
                func preactivation(_ gate: Int, _ u: Int) -> Double { inputSide(gate, u) + hiddenSide(gate, u) }
                var newH = h
                for u in 0..<hidden {
                    switch cell {
                    case .lstm:  // blocks i, f, g, o
                        let keep = sigmoid(preactivation(1, u)), write = sigmoid(preactivation(0, u))
                        let candidate = tanh(preactivation(2, u)), read = sigmoid(preactivation(3, u))
                        c[u] = keep * c[u] + write * candidate
                        newH[u] = read * tanh(c[u])
                    case .gru:  // blocks r, z, n; b_hn inside the reset product
                        let reset = sigmoid(preactivation(0, u)), update = sigmoid(preactivation(1, u))
                        let candidate = tanh(inputSide(2, u) + reset * hiddenSide(2, u))
                        newH[u] = (1 - update) * candidate + update * h[u]
                    case .rnn:
                        newH[u] = tanh(preactivation(0, u))
                    }
                }
                h = newH
                for u in 0..<hidden {
                    XCTAssertEqual(Double(layer.outputs[(t * batch + b) * hidden + u]), h[u], accuracy: 2e-6,
                                   "\(cell) stream \(b) step \(t) unit \(u)")
                }
            }
        }
    }

    func testLSTMLayer_forwardMatchesNaivePerGateLoop() { checkForwardAgainstNaiveLoop(.lstm) }
    func testGRULayer_forwardMatchesNaivePerGateLoop() { checkForwardAgainstNaiveLoop(.gru) }
    func testRNNLayer_forwardMatchesNaivePerGateLoop() { checkForwardAgainstNaiveLoop(.rnn) }

    /// Truncated BPTT's invariant: a sequence run in one piece and in chunks with the state
    /// carried between them gives the same outputs and the same loss.
    func testUnrolledNetwork_chunkedRunWithCarriedStateEqualsOneRun() {
        for cell in CellKind.allCases {
            let config = ModelConfiguration(vocabularySize: 9, embeddingSize: 4, hiddenSize: 17, layers: 3, cell: cell)
            let model = CharModel(configuration: config, seed: 9)
            let batch = 2, steps = 12
            var data = SeededGenerator(seed: 10)
            let inputs = (0..<steps * batch).map { _ in Int32(data.next() % 9) }
            let targets = (0..<steps * batch).map { _ in Int32(data.next() % 9) }
            var rng = SeededGenerator(seed: 0)

            let whole = UnrolledNetwork(model: model, batch: batch, maxSteps: steps)
            let wholeLoss = whole.forward(inputs: inputs, targets: targets, steps: steps, training: false, rng: &rng)
            let wholeLogits = whole.logits.array

            let chunked = UnrolledNetwork(model: model, batch: batch, maxSteps: 5)
            var chunkLoss = 0.0
            var chunkLogits = [Float]()
            var start = 0
            for length in [5, 4, 3] {
                let range = start * batch ..< (start + length) * batch
                chunkLoss += chunked.forward(inputs: Array(inputs[range]), targets: Array(targets[range]),
                                             steps: length, training: false, rng: &rng)
                chunkLogits += chunked.logits.array.prefix(length * batch * 9)
                start += length
            }
            XCTAssertEqual(chunkLoss, wholeLoss, accuracy: 1e-5, "\(cell)")
            XCTAssertEqual(chunkLogits.count, wholeLogits.count)
            for (a, b) in zip(chunkLogits, wholeLogits) { XCTAssertEqual(a, b, accuracy: 1e-5, "\(cell)") }
        }
    }

    /// Batch-1 generation steps compute the same logits as the unrolled training network.
    func testInferenceState_stepMatchesUnrolledNetwork() {
        for cell in CellKind.allCases {
            let config = ModelConfiguration(vocabularySize: 9, embeddingSize: 6, hiddenSize: 20, layers: 2, cell: cell)
            let model = CharModel(configuration: config, seed: 11)
            let tokens: [Int32] = [1, 4, 8, 0, 3, 3, 7]
            let network = UnrolledNetwork(model: model, batch: 1, maxSteps: tokens.count)
            var rng = SeededGenerator(seed: 0)
            network.forward(inputs: tokens, targets: tokens, steps: tokens.count, training: false, rng: &rng)
            let state = InferenceState(model: model)
            for (t, token) in tokens.enumerated() {
                state.step(token)
                for j in 0..<9 { XCTAssertEqual(state.logits[j], network.logits[t * 9 + j], accuracy: 1e-5, "\(cell)") }
            }
        }
    }
}

final class ParallelSplitTests: XCTestCase {
    override func tearDown() { Parallel.configure(threads: 1) }

    /// Splitting streams, rows and gate blocks across threads computes the same loss and
    /// gradients as one thread (up to GEMM rounding), including uneven splits.
    func testUnrolledNetwork_threadCountDoesNotChangeLossOrGradients() {
        for cell in CellKind.allCases {
            let config = ModelConfiguration(vocabularySize: 13, embeddingSize: 7, hiddenSize: 21, layers: 2, dropout: 0.2,
                                            cell: cell)
            let model = CharModel(configuration: config, seed: 21)
            let batch = 5, steps = 7
            var data = SeededGenerator(seed: 22)
            let inputs = (0..<steps * batch).map { _ in Int32(data.next() % 13) }
            let targets = (0..<steps * batch).map { _ in Int32(data.next() % 13) }
            func run(threads: Int) -> (Double, [Float]) {
                Parallel.configure(threads: threads)
                let network = UnrolledNetwork(model: model, batch: batch, maxSteps: steps)
                var rng = SeededGenerator(seed: 23)
                var loss = network.forward(inputs: inputs, targets: targets, steps: steps, training: true, rng: &rng)
                let gradients = FloatBuffer(count: model.parameterCount)
                network.backward(gradients: gradients)
                // A second window with the carried state, so the split carry is exercised too.
                loss += network.forward(inputs: inputs, targets: targets, steps: steps, training: true, rng: &rng)
                network.backward(gradients: gradients)
                return (loss, gradients.array)
            }
            let (serialLoss, serialGradients) = run(threads: 1)
            let (parallelLoss, parallelGradients) = run(threads: 3)
            XCTAssertTrue(UnrolledNetwork(model: model, batch: batch, maxSteps: steps).projectsEmbeddingTable)
            XCTAssertEqual(serialLoss, parallelLoss, accuracy: 1e-4, "\(cell)")
            for (a, b) in zip(serialGradients, parallelGradients) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
    }
}
