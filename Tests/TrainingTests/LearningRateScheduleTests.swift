import XCTest
import Checkpoints
import Foundation
import RecurrentNetwork
@testable import Training

final class LearningRateScheduleTests: XCTestCase {
    func testCosine_warmsUpFromTheFloorThenFallsToTheFloorExactlyAtTheEnd() {
        let cosine = LearningRateSchedule.cosine, floor = LearningRateSchedule.floorFraction
        XCTAssertEqual(cosine.factor(progress: 0, epochs: 0, decay: 1), floor, accuracy: 1e-12)
        XCTAssertEqual(cosine.factor(progress: LearningRateSchedule.warmupFraction, epochs: 0, decay: 1), 1, accuracy: 1e-12)
        XCTAssertEqual(cosine.factor(progress: 1, epochs: 0, decay: 1), floor, accuracy: 1e-12)
        XCTAssertEqual(cosine.factor(progress: 7, epochs: 0, decay: 1), floor, accuracy: 1e-12)
        let midpoint = (1 + LearningRateSchedule.warmupFraction) / 2
        XCTAssertEqual(cosine.factor(progress: midpoint, epochs: 0, decay: 1), (1 + floor) / 2, accuracy: 1e-12)
        // Rising through the warmup, falling after it, never below the floor.
        let factors = stride(from: 0.0, through: 1, by: 0.001).map { cosine.factor(progress: $0, epochs: 3, decay: 0.5) }
        let peak = factors.firstIndex(of: factors.max()!)!
        XCTAssertEqual(Double(peak) * 0.001, LearningRateSchedule.warmupFraction, accuracy: 0.0011)
        XCTAssertTrue(zip(factors[..<peak], factors[1...peak]).allSatisfy { $0 < $1 })
        XCTAssertTrue(zip(factors[peak...], factors[(peak + 1)...]).allSatisfy { $0 >= $1 })
        XCTAssertGreaterThanOrEqual(factors.min()!, floor - 1e-12)
    }

    func testConstantAndEpochDecay_ignoreTheBudget() {
        XCTAssertEqual(LearningRateSchedule.constant.factor(progress: 0.9, epochs: 4, decay: 0.5), 1)
        XCTAssertEqual(LearningRateSchedule.epochDecay.factor(progress: 0.9, epochs: 3, decay: 0.5), 0.125, accuracy: 1e-12)
    }

    func testBudgetProgress_isTheLargestShareOfAnyBudget() {
        var c = TrainingConfiguration(corpus: ["x"], batch: 1, sequenceLength: 1, learningRate: 1, learningRateDecay: 1,
                                      optimizer: .adam, clip: 5, validationFraction: 0.1, evaluateEvery: 0, keep: 1,
                                      seed: 1, threads: 1, maxEpochs: 4, maxSteps: 1000, maxMinutes: 2,
                                      minutesStartSeconds: 30)
        XCTAssertEqual(c.budgetProgress(step: 100, stepsPerEpoch: 100, trainingSeconds: 30), 0.25)    // epochs lead
        XCTAssertEqual(c.budgetProgress(step: 100, stepsPerEpoch: 1000, trainingSeconds: 30), 0.1)    // steps lead
        XCTAssertEqual(c.budgetProgress(step: 100, stepsPerEpoch: 1000, trainingSeconds: 120), 0.75)  // minutes, from 30 s
        XCTAssertEqual(c.budgetProgress(step: 5000, stepsPerEpoch: 1000, trainingSeconds: 0), 1)
        c.maxEpochs = .max
        c.maxSteps = nil
        c.maxMinutes = nil
        XCTAssertEqual(c.budgetProgress(step: 5000, stepsPerEpoch: 1000, trainingSeconds: 0), 0, accuracy: 1e-12)
    }

    /// A cosine run by steps, checkpointed half way and continued from that checkpoint, takes
    /// the same updates as the run in one go: the schedule is a function of the step and the
    /// budget, both of which the checkpoint holds.
    func testCosineByStep_resumedHalfWayMatchesTheWholeRunBitForBit() throws {
        let folder = NSTemporaryDirectory() + "schedule-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let text = (0..<300).map { "line \($0 % 17) of the \($0 % 5 == 0 ? "cat" : "dog")\n" }.joined()
        let corpusPath = folder + "/text.txt"
        try text.write(toFile: corpusPath, atomically: true, encoding: .utf8)
        let cache = TokenCache(folder: folder + "/cache")
        let training = TrainingConfiguration(corpus: [corpusPath], batch: 4, sequenceLength: 16, learningRate: 1e-2,
                                             learningRateDecay: 1, optimizer: .adam, clip: 5, validationFraction: 0.1,
                                             evaluateEvery: 0, keep: 2, seed: 4, threads: 1, maxEpochs: nil,
                                             maxSteps: 30, maxMinutes: nil, learningRateSchedule: .cosine,
                                             minutesStartSeconds: 0)
        let corpus = try TrainingSetup.loadCorpus(training.corpus, validationFraction: 0.1, invalidUTF8: .fail, cache: cache)
        let model = ModelConfiguration(vocabularySize: corpus.vocabulary.count, embeddingSize: 6, hiddenSize: 12, layers: 2)
        let whole = try TrainingSetup.newRun(model: model, training: training, corpus: corpus,
                                             run: RunFolder(path: folder + "/whole"), reporter: nil)
        var rates = [Float]()
        for _ in 0..<30 {
            whole.step()
            rates.append(whole.learningRate)
        }
        XCTAssertEqual(rates.max()!, 1e-2, accuracy: 1e-3)
        XCTAssertEqual(rates.last!, 1e-2 * Float(LearningRateSchedule.floorFraction), accuracy: 2e-4)

        let first = try TrainingSetup.newRun(model: model, training: training, corpus: corpus,
                                             run: RunFolder(path: folder + "/halves"), reporter: nil)
        for _ in 0..<15 { first.step() }
        let saved = try Checkpoint.decode(first.checkpoint().encoded(), from: "half")
        let rest = try TrainingSetup.resume(from: saved, path: "half", training: saved.training!, corpus: corpus,
                                            run: RunFolder(path: folder + "/rest"), reporter: nil)
        for k in 15..<30 {
            rest.step()
            XCTAssertEqual(rest.learningRate.bitPattern, rates[k].bitPattern, "step \(k + 1)")
        }
        XCTAssertEqual(whole.model.parameters.array.map(\.bitPattern), rest.model.parameters.array.map(\.bitPattern))
    }
}
