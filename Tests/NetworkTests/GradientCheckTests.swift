import XCTest
import Kernels
@testable import RecurrentNetwork

/// Central-difference checks of every hand-written backward pass.
///
/// The network computes in Float, whose rounding noise swamps a small-step difference, so the
/// numeric derivative is the five-point stencil (−f(x+2ε) + 8f(x+ε) − 8f(x−ε) + f(x−2ε)) / 12ε
/// with a large ε: its truncation error is O(ε⁴) and the noise is divided by a large step.
/// The comparison is per tensor: ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖, 1e-4)
/// must be below 2e-2. A wrong index, transposed GEMM or missing term gives errors of order 1.
final class GradientCheckTests: XCTestCase {
    static let epsilon: Float = 6e-2
    static let tolerance: Float = 2e-2

    /// Compares `analytic` with the central difference of `loss` over every element of `values`.
    func assertGradientMatches(_ name: String, values: UnsafeMutablePointer<Float>, count: Int,
                               analytic: UnsafePointer<Float>, loss: () -> Double,
                               file: StaticString = #filePath, line: UInt = #line) {
        var difference: Float = 0, analyticNorm: Float = 0, numericNorm: Float = 0
        for k in 0..<count {
            let saved = values[k]
            func lossShifted(by offset: Float) -> Double {
                values[k] = saved + offset * Self.epsilon
                return loss()
            }
            let stencil = -lossShifted(by: 2) + 8 * lossShifted(by: 1) - 8 * lossShifted(by: -1) + lossShifted(by: -2)
            values[k] = saved
            let numeric = Float(stencil / Double(12 * Self.epsilon))
            difference += (numeric - analytic[k]) * (numeric - analytic[k])
            analyticNorm += analytic[k] * analytic[k]
            numericNorm += numeric * numeric
        }
        let relative = difference.squareRoot() / max(analyticNorm.squareRoot(), numericNorm.squareRoot(), 1e-4)
        XCTAssertLessThan(relative, Self.tolerance, "\(name): relative error \(relative)", file: file, line: line)
        XCTAssertGreaterThan(analyticNorm, 0, "\(name): gradient is identically zero", file: file, line: line)
    }

    /// One layer of `cell` with H = 20 (crossing a 16-lane boundary, so both the vector body and
    /// the tail of the kernels are checked) over T = 5 steps from a non-zero carried-in state (so
    /// the h(0)·W_hh and c(0) paths are exercised too): every tensor and the input.
    func checkLayer(_ cell: CellKind) {
        let input = 7, hidden = 20, batch = 2, steps = 5
        let config = ModelConfiguration(vocabularySize: 5, embeddingSize: input, hiddenSize: hidden, layers: 1, cell: cell)
        let model = CharModel(configuration: config, seed: 1)
        let layer = cell.makeLayer(inputSize: input, hiddenSize: hidden, batch: batch, maxSteps: steps,
                                   layerIndex: 0, layout: model.layout)
        var rng = SeededGenerator(seed: 2)
        let x = FloatBuffer((0..<steps * batch * input).map { _ in rng.nextGaussian() })
        let projection = FloatBuffer((0..<steps * batch * hidden).map { _ in rng.nextGaussian() })
        let initialStates = cell.stateNames.map { _ in (0..<batch * hidden).map { _ in 0.5 * rng.nextGaussian() } }
        // loss = Σ projection ⊙ h(1…T)
        func loss() -> Double {
            layer.resetState()
            for (state, initial) in zip(layer.core.states, initialStates) {
                for k in 0..<batch * hidden { state[k] = initial[k] }
            }
            layer.forward(.dense(x.pointer), steps: steps, parameters: model.parameters.pointer)
            var total = 0.0
            for k in 0..<steps * batch * hidden { total += Double(projection[k] * layer.outputs[k]) }
            return total
        }
        _ = loss()
        let gradients = FloatBuffer(count: model.parameterCount)
        layer.backward(outputGradients: projection.pointer, input: .dense(x.pointer),
                       parameters: model.parameters.pointer, gradients: gradients.pointer)
        let inputGradients = FloatBuffer(layer.inputGradients.array)
        for tensor in [ParameterLayout.RecurrentTensor.weightIH, .weightHH, .biasIH, .biasHH] {
            let t = model.layout.tensor(ParameterLayout.name(tensor, layer: 0, cell: cell))
            assertGradientMatches(t.name, values: model.parameters.at(t.offset), count: t.count,
                                  analytic: gradients.at(t.offset), loss: loss)
        }
        assertGradientMatches("\(cell) input", values: x.pointer, count: x.count, analytic: inputGradients.pointer, loss: loss)
    }

    func testLSTMLayer_backwardMatchesNumericForWeightsBiasesAndInput() { checkLayer(.lstm) }
    func testGRULayer_backwardMatchesNumericForWeightsBiasesAndInput() { checkLayer(.gru) }
    func testRNNLayer_backwardMatchesNumericForWeightsBiasesAndInput() { checkLayer(.rnn) }

    func testSoftmaxCrossEntropy_gradientMatchesNumeric() {
        let rows = 4, vocabulary = 19
        var rng = SeededGenerator(seed: 3)
        let logits = FloatBuffer((0..<rows * vocabulary).map { _ in 2 * rng.nextGaussian() })
        let targets: [Int32] = [0, 18, 5, 5]
        let gradients = FloatBuffer(count: rows * vocabulary)
        func loss() -> Double {
            SoftmaxCrossEntropy.loss(logits: logits.pointer, targets: targets, rows: rows, vocabulary: vocabulary)
        }
        let withGradients = SoftmaxCrossEntropy.loss(logits: logits.pointer, targets: targets, rows: rows,
                                                     vocabulary: vocabulary, gradients: gradients.pointer)
        XCTAssertEqual(withGradients, loss(), accuracy: 1e-9)
        assertGradientMatches("logits", values: logits.pointer, count: logits.count,
                              analytic: gradients.pointer, loss: loss)
    }

    /// Every tensor of a two-layer model (embedding, both recurrent layers, decoder) through
    /// T = 6 steps, with and without dropout (the same masks are drawn for every evaluation).
    func checkWholeModel(_ cell: CellKind, dropout: Float, projectsEmbeddingTable: Bool,
                         regularise: (inout ModelConfiguration) -> Void = { _ in }) {
        var config = ModelConfiguration(vocabularySize: 11, embeddingSize: 5, hiddenSize: 6, layers: 2, dropout: dropout,
                                        cell: cell)
        regularise(&config)
        let model = CharModel(configuration: config, seed: 4)
        let batch = 3, steps = 6
        let network = UnrolledNetwork(model: model, batch: batch, maxSteps: steps,
                                      projectsEmbeddingTable: projectsEmbeddingTable)
        var data = SeededGenerator(seed: 5)
        let inputs = (0..<steps * batch).map { _ in Int32(data.next() % 11) }
        let targets = (0..<steps * batch).map { _ in Int32(data.next() % 11) }
        func loss() -> Double {
            network.resetState()
            var rng = SeededGenerator(seed: 6)
            return network.forward(inputs: inputs, targets: targets, steps: steps, training: true, rng: &rng)
        }
        _ = loss()
        let gradients = FloatBuffer(count: model.parameterCount)
        network.backward(gradients: gradients)
        // backward gives the gradient of the mean loss; the check differentiates the sum,
        // whose larger gradients stand further above Float's rounding noise.
        for k in 0..<gradients.count { gradients[k] *= Float(steps * batch) }
        for t in model.layout.tensors {
            assertGradientMatches("\(t.name) (\(config.regularisationSummary), table \(projectsEmbeddingTable))", values: model.parameters.at(t.offset),
                                  count: t.count, analytic: gradients.at(t.offset), loss: loss)
        }
    }

    func testStackedModel_backwardMatchesNumericForEveryTensor() {
        checkWholeModel(.lstm, dropout: 0, projectsEmbeddingTable: false)
    }

    func testStackedModel_backwardMatchesNumericWithDropout() {
        checkWholeModel(.lstm, dropout: 0.3, projectsEmbeddingTable: false)
    }

    /// The same checks when layer 0 reads characters through its projected embedding table.
    func testStackedModel_backwardMatchesNumericThroughTheEmbeddingTable() {
        checkWholeModel(.lstm, dropout: 0, projectsEmbeddingTable: true)
        checkWholeModel(.lstm, dropout: 0.3, projectsEmbeddingTable: true)
    }

    /// Variational dropout (one mask per stream over the window) between the layers and on the
    /// embeddings, and weight drop on W_hh: the masks are fixed by the seed, so the loss is a
    /// smooth function of the weights whose derivative backward must give.
    func testStackedModel_backwardMatchesNumericWithVariationalDropoutEmbeddingDropoutAndWeightDrop() {
        for cell in CellKind.allCases {
            checkWholeModel(cell, dropout: 0.3, projectsEmbeddingTable: true) {
                $0.dropoutMask = .sequence
                $0.embeddingDropout = 0.25
                $0.weightDrop = 0.4
            }
        }
        checkWholeModel(.lstm, dropout: 0, projectsEmbeddingTable: false) { $0.weightDrop = 0.5 }
        checkWholeModel(.lstm, dropout: 0, projectsEmbeddingTable: false) { $0.embeddingDropout = 0.3 }
    }

    func testStackedGRU_backwardMatchesNumericForEveryTensorWithAndWithoutDropout() {
        checkWholeModel(.gru, dropout: 0, projectsEmbeddingTable: false)
        checkWholeModel(.gru, dropout: 0.3, projectsEmbeddingTable: true)
    }

    func testStackedRNN_backwardMatchesNumericForEveryTensorWithAndWithoutDropout() {
        checkWholeModel(.rnn, dropout: 0, projectsEmbeddingTable: false)
        checkWholeModel(.rnn, dropout: 0.3, projectsEmbeddingTable: true)
    }
}
