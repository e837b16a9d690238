import Foundation
import Kernels
import RecurrentNetwork
import Tokenization
@testable import Checkpoints

/// A small but complete training checkpoint, filled with deterministic values, for the tests
/// of the format: every kind of tensor (weights, Adam moments, carried state) and every
/// metadata field is present.
enum CheckpointSample {
    static func make(layers: Int = 2, hidden: Int = 6, seed: UInt64 = 1, cell: CellKind = .lstm) -> Checkpoint {
        let vocabulary = Vocabulary(building: "hello, wörld\n".unicodeScalars)
        let configuration = ModelConfiguration(vocabularySize: vocabulary.count, embeddingSize: 4, hiddenSize: hidden,
                                               layers: layers, dropout: 0.25, cell: cell)
        let model = CharModel(configuration: configuration, seed: seed)
        var rng = SeededGenerator(seed: seed &+ 100)
        let moments = Dictionary(uniqueKeysWithValues: OptimizerKind.adam.momentNames.map { name in
            (name, FloatBuffer((0..<model.parameterCount).map { _ in rng.nextGaussian() }))
        })
        let optimizer = Optimizer(kind: .adam, parameterCount: model.parameterCount, step: 17, moments: moments)
        let training = TrainingConfiguration(corpus: ["corpora/a.txt", "corpora/b"], batch: 3, sequenceLength: 5,
                                             learningRate: 2e-3, learningRateDecay: 0.95, optimizer: .adam, clip: 5,
                                             validationFraction: 0.1, evaluateEvery: 10, keep: 4, seed: seed,
                                             threads: 2, maxEpochs: nil, maxSteps: 40, maxMinutes: nil)
        let position = TrainingPosition(step: 17, epoch: 1, stepInEpoch: 4,
                                        randomState: SeededGenerator(seed: seed).state.map { String($0, radix: 16) },
                                        bestValidationLoss: 2.5, bestStep: 10, elapsedSeconds: 3.25,
                                        smoothedTrainLoss: 2.75,
                                        history: [Evaluation(step: 10, trainLoss: 2.8, validationLoss: 2.5)])
        var carried = [String: [Float]]()
        for l in 0..<layers {
            for kind in cell.stateNames { carried["\(kind)_l\(l)"] = (0..<3 * hidden).map { _ in rng.nextGaussian() } }
        }
        return Checkpoint(model: model, vocabulary: vocabulary, optimizer: optimizer, training: training,
                          position: position, carriedState: carried, carriedStateShape: [3, hidden])
    }

    /// The bytes of `make()`, as `Checkpoint.write` stores them.
    static let bytes = make().encoded()

    /// A temporary folder for one test, removed by the caller.
    static func temporaryFolder() throws -> String {
        let folder = (NSTemporaryDirectory() as NSString).appendingPathComponent("charlstm-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }
}
