import XCTest
import Kernels
@testable import RecurrentNetwork

/// What the training-time regularisers do to the masks and the update, beyond their gradients
/// (checked in `GradientCheckTests`).
final class RegularisationTests: XCTestCase {
    func network(_ regularise: (inout ModelConfiguration) -> Void) -> UnrolledNetwork {
        var config = ModelConfiguration(vocabularySize: 9, embeddingSize: 6, hiddenSize: 10, layers: 2, dropout: 0.5)
        regularise(&config)
        return UnrolledNetwork(model: CharModel(configuration: config, seed: 1), batch: 3, maxSteps: 7)
    }

    func run(_ network: UnrolledNetwork, seed: UInt64) -> Double {
        let tokens = (0..<21).map { Int32($0 % 9) }
        network.resetState()
        return network.forward(inputs: tokens, targets: tokens, steps: 7, dropout: DropoutKey(seed: seed))
    }

    /// Rows of a mask buffer: step t of stream b is row t·3 + b.
    func row(_ mask: FloatBuffer, step t: Int, stream b: Int, width: Int) -> [Float] {
        Array(mask.array[(t * 3 + b) * width ..< (t * 3 + b + 1) * width])
    }

    func testSequenceMasks_dropTheSameUnitsAtEveryStepOfAStreamAndStepMasksDoNot() {
        let variational = network { $0.dropoutMask = .sequence; $0.embeddingDropout = 0.5 }
        _ = run(variational, seed: 3)
        for (mask, width) in [(variational.dropoutMasks[0], 10), (variational.dropoutMasks[1], 10), (variational.embeddingMask, 6)] {
            XCTAssertEqual(Set(mask.array), [0, 2])
            for b in 0..<3 {
                let first = row(mask, step: 0, stream: b, width: width)
                for t in 1..<7 { XCTAssertEqual(row(mask, step: t, stream: b, width: width), first) }
            }
            XCTAssertNotEqual(row(mask, step: 0, stream: 0, width: width), row(mask, step: 0, stream: 1, width: width))
        }
        let perStep = network { $0.dropoutMask = .step }
        _ = run(perStep, seed: 3)
        XCTAssertNotEqual(row(perStep.dropoutMasks[0], step: 0, stream: 0, width: 10), row(perStep.dropoutMasks[0], step: 1, stream: 0, width: 10))
    }

    /// Weight drop zeroes about p of each W_hh for a training step, scales the rest by 1/(1−p),
    /// leaves every other tensor and the model's own weights alone, and is off in evaluation.
    func testWeightDrop_masksOnlyTheRecurrentWeightsOfATrainingStep() {
        let dropped = network { $0.dropout = 0; $0.weightDrop = 0.25 }
        let plain = network { $0.dropout = 0 }
        XCTAssertEqual(dropped.model.parameters.array, plain.model.parameters.array)
        XCTAssertNotEqual(run(dropped, seed: 5), run(plain, seed: 5))
        for t in dropped.model.layout.tensors {
            let original = Array(dropped.model.parameters.array[t.offset ..< t.offset + t.count])
            let used = Array(dropped.droppedWeights.array[t.offset ..< t.offset + t.count])
            guard t.name.hasPrefix("lstm.weight_hh") else {
                XCTAssertEqual(used, original, t.name)
                continue
            }
            let zeroed = used.filter { $0 == 0 }.count
            XCTAssertEqual(Double(zeroed) / Double(t.count), 0.25, accuracy: 0.08, t.name)
            for (u, o) in zip(used, original) where u != 0 { XCTAssertEqual(u, o / 0.75, accuracy: 1e-6) }
        }
        XCTAssertEqual(dropped.model.parameters.array, plain.model.parameters.array, "the model's own weights are untouched")
        let tokens = (0..<21).map { Int32($0 % 9) }
        dropped.resetState()
        plain.resetState()
        XCTAssertEqual(dropped.forward(inputs: tokens, targets: tokens, steps: 7, dropout: nil),
                       plain.forward(inputs: tokens, targets: tokens, steps: 7, dropout: nil))
    }

    /// AdamW's update (torch.optim.AdamW): the weight shrinks by lr·λ·w, apart from Adam's
    /// gradient step, whose first step moves each weight by lr·sign(g).
    func testDecoupledWeightDecay_shrinksTheWeightsApartFromTheGradientStep() {
        let parameters = FloatBuffer([1, -2, 0.5]), gradients = FloatBuffer([0.1, 0.1, -0.3])
        let optimizer = Optimizer(kind: .adam, parameterCount: 3)
        optimizer.update(parameters: parameters, gradients: gradients, lr: 0.01, weightDecay: 0.5)
        let expected: [Float] = [1 * 0.995 - 0.01, -2 * 0.995 - 0.01, 0.5 * 0.995 + 0.01]
        for (p, e) in zip(parameters.array, expected) { XCTAssertEqual(p, e, accuracy: 1e-6) }
        let sgd = Optimizer(kind: .sgd, parameterCount: 3), w = FloatBuffer([1, -2, 0.5])
        sgd.update(parameters: w, gradients: FloatBuffer([0, 0, 0]), lr: 0.1, weightDecay: 0.2)
        for (p, e) in zip(w.array, [0.98, -1.96, 0.49] as [Float]) { XCTAssertEqual(p, e, accuracy: 1e-6) }
    }
}
