import XCTest
import Checkpoints
import Foundation
import RecurrentNetwork
import Tokenization
@testable import Training

final class TrainerTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "trainer-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    var cache: TokenCache { TokenCache(folder: (folder as NSString).appendingPathComponent("cache")) }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Text a small model can learn quickly: short rhyming lines from a fixed pseudo-random
    /// sequence, so the test sees the same text every time.
    func writeCorpus() throws -> String {
        let subjects = ["the cat", "a dog", "my hat", "the frog"], verbs = ["sat on", "ran to", "saw"]
        let objects = ["the mat.", "a log.", "the bat.", "the bog."]
        var seed: UInt32 = 12345
        func pick<T>(_ options: [T]) -> T {
            seed = seed &* 1_103_515_245 &+ 12345
            return options[Int(seed >> 16) % options.count]
        }
        let text = (0..<400).map { _ in "\(pick(subjects)) \(pick(verbs)) \(pick(objects))\n" }.joined()
        let path = (folder as NSString).appendingPathComponent("rhymes.txt")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func configuration(corpus: String, learningRate: Float, steps: Int) -> TrainingConfiguration {
        TrainingConfiguration(corpus: [corpus], batch: 8, sequenceLength: 16, learningRate: learningRate,
                              learningRateDecay: 1, optimizer: .adam, clip: 5, validationFraction: 0.1,
                              evaluateEvery: 50, keep: 2, seed: 9, threads: 1,
                              maxEpochs: nil, maxSteps: steps, maxMinutes: nil)
    }

    func newTrainer(_ training: TrainingConfiguration, run: RunFolder) throws -> Trainer {
        let corpus = try TrainingSetup.loadCorpus(training.corpus, validationFraction: training.validationFraction,
                                                  invalidUTF8: .fail, cache: cache)
        let model = ModelConfiguration(vocabularySize: corpus.vocabulary.count, embeddingSize: 8, hiddenSize: 24, layers: 1)
        return try TrainingSetup.newRun(model: model, training: training, corpus: corpus, run: run, reporter: nil)
    }

    func testTrainer_shortRunOnGeneratedTextLowersTheValidationLoss() throws {
        let run = RunFolder(path: (folder as NSString).appendingPathComponent("run"))
        let trainer = try newTrainer(configuration(corpus: try writeCorpus(), learningRate: 1e-2, steps: 200), run: run)
        let uniformGuess = log(Double(trainer.vocabulary.count))
        let outcome = try trainer.train()

        XCTAssertEqual(outcome.reason, .budgetReached)
        XCTAssertEqual(outcome.step, 200)
        let history = trainer.position.history
        XCTAssertEqual(history.map(\.step), [50, 100, 150, 200])
        let best = try XCTUnwrap(outcome.bestValidationLoss)
        // The text is far from random: a model that learns anything beats the uniform guess by a lot.
        XCTAssertLessThan(best, 0.6 * uniformGuess, "best \(best), uniform \(uniformGuess)")
        XCTAssertLessThan(history.last!.validationLoss, history.first!.validationLoss)
        XCTAssertEqual(best, history.map(\.validationLoss).min())

        // The run folder holds what was promised, and best.safetensors is the best evaluation.
        XCTAssertEqual(run.stepCheckpoints().map(\.step), [150, 200])  // --keep 2
        let saved = try Checkpoint.read(from: run.bestPath)
        XCTAssertEqual(saved.position?.bestValidationLoss, best)
        XCTAssertEqual(saved.vocabulary, trainer.vocabulary)
        let log = try String(contentsOfFile: run.logPath, encoding: .utf8)
        XCTAssertEqual(log.split(separator: "\n").count, 1 + 4)
        XCTAssertTrue(try String(contentsOfFile: run.plotPath, encoding: .utf8).hasPrefix("<svg"))
    }

    func testTrainer_hugeLearningRateStopsAsDivergedWithoutWritingACheckpoint() throws {
        let run = RunFolder(path: (folder as NSString).appendingPathComponent("run"))
        let trainer = try newTrainer(configuration(corpus: try writeCorpus(), learningRate: 1e4, steps: 200), run: run)
        let outcome = try trainer.train()

        guard case .diverged(let message) = outcome.reason else { return XCTFail("ended with \(outcome.reason)") }
        XCTAssertTrue(message.contains("--lr"), message)
        XCTAssertLessThan(outcome.step, 50)
        XCTAssertNil(outcome.bestValidationLoss)
        XCTAssertEqual(run.stepCheckpoints().count, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.bestPath))
    }

    func testTrainer_budgetSpentBeforeTheFirstStepEndsCleanlyWithNothingSaved() throws {
        let run = RunFolder(path: (folder as NSString).appendingPathComponent("run"))
        var training = configuration(corpus: try writeCorpus(), learningRate: 2e-3, steps: 0)
        training.maxSteps = nil
        training.maxMinutes = 1e-12
        let outcome = try newTrainer(training, run: run).train()
        XCTAssertEqual(outcome.reason, .budgetReached)
        XCTAssertEqual(outcome.step, 0)
        XCTAssertNil(outcome.lastCheckpoint)
        XCTAssertEqual(run.stepCheckpoints().count, 0)
    }

    func testTrainer_exactlyOneStepPerWindowAndEpochsRestartTheStreams() throws {
        let run = RunFolder(path: (folder as NSString).appendingPathComponent("run"))
        var training = configuration(corpus: try writeCorpus(), learningRate: 2e-3, steps: 0)
        training.maxSteps = nil
        training.maxEpochs = 2
        training.evaluateEvery = 0
        let trainer = try newTrainer(training, run: run)
        let outcome = try trainer.train()
        XCTAssertEqual(outcome.reason, .budgetReached)
        XCTAssertEqual(outcome.step, 2 * trainer.stepsPerEpoch)
        XCTAssertEqual(trainer.position.epoch, 2)
        XCTAssertEqual(trainer.position.history.map(\.step), [outcome.step])  // evaluated once, at the end
    }

    /// Splitting the streams into sequential slices (to bound memory) takes the same updates as
    /// one pass over all of them, and carries each slice's state on: 40 steps with 8 slices of
    /// one stream each end at the same weights and carried state as 40 unsplit steps.
    func testTrainer_slicedUpdatesEqualUnslicedUpdatesWithCarriedState() throws {
        try checkSlicedUpdatesEqualUnsliced { _ in }
    }

    /// The same with every regularisation on: each stream's dropout masks and each step's
    /// weight-drop masks do not depend on how the streams are split.
    func testTrainer_slicedUpdatesEqualUnslicedUpdatesWithDropoutsAndWeightDrop() throws {
        try checkSlicedUpdatesEqualUnsliced {
            $0.dropout = 0.2
            $0.dropoutMask = .sequence
            $0.embeddingDropout = 0.1
            $0.weightDrop = 0.3
        }
    }

    func checkSlicedUpdatesEqualUnsliced(regularise: (inout ModelConfiguration) -> Void) throws {
        let corpusPath = try writeCorpus()
        func trained(budget: Double, name: String) throws -> Trainer {
            // minimumSliceStreams 1 lets this 8-stream batch be cut into single streams.
            let training = configuration(corpus: corpusPath, learningRate: 3e-3, steps: 40)
            let corpus = try TrainingSetup.loadCorpus(training.corpus, validationFraction: training.validationFraction,
                                                      invalidUTF8: .fail, cache: cache)
            var model = ModelConfiguration(vocabularySize: corpus.vocabulary.count, embeddingSize: 8, hiddenSize: 24, layers: 2)
            regularise(&model)
            let trainer = try TrainingSetup.newRun(model: model, training: training, corpus: corpus,
                                                   run: RunFolder(path: (folder as NSString).appendingPathComponent(name)),
                                                   reporter: nil, activationBudget: budget, minimumSliceStreams: 1)
            for _ in 0..<40 { _ = trainer.step() }
            return trainer
        }
        let whole = try trained(budget: .infinity, name: "whole")
        let sliced = try trained(budget: 1, name: "sliced")
        XCTAssertEqual(whole.microBatches, 1)
        XCTAssertEqual(sliced.microBatches, 8)
        for (a, b) in zip(whole.model.parameters.array, sliced.model.parameters.array) { XCTAssertEqual(a, b, accuracy: 2e-4) }
        let wholeState = whole.carriedState, slicedState = sliced.carriedState
        XCTAssertEqual(Set(wholeState.keys), Set(slicedState.keys))
        for (name, values) in wholeState {
            XCTAssertEqual(values.count, 8 * 24)
            for (a, b) in zip(values, slicedState[name]!) { XCTAssertEqual(a, b, accuracy: 2e-4, name) }
        }
    }
}
