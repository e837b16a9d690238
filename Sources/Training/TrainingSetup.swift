import Checkpoints
import Foundation
import Kernels
import Network
import Tokenization

/// A problem with what the user asked for: reported as one line, exit status 2.
public struct UsageError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The text a run trains and validates on.
public struct SplitCorpus {
    public var vocabulary: Vocabulary
    public var train: [Int32]
    public var validation: [Int32]
}

public enum TrainingSetup {
    /// Reads the corpus, and splits off the last `validationFraction` as held-out text.
    /// With `vocabulary`, encodes with it (characters it lacks are an error naming them);
    /// otherwise builds the vocabulary from the text.
    public static func loadCorpus(_ paths: [String], validationFraction: Double, vocabulary: Vocabulary? = nil,
                                  invalidUTF8: InvalidUTF8Policy) throws -> SplitCorpus {
        let text = try CorpusReader.read(paths, invalidUTF8: invalidUTF8)
        let vocabulary = vocabulary ?? Vocabulary(building: text)
        let tokens: [Int32]
        do { tokens = try vocabulary.encode(text) } catch let error as VocabularyError {
            throw UsageError("\(paths.joined(separator: ", ")): \(error)")
        }
        let validationCount = Int((Double(tokens.count) * validationFraction).rounded(.down))
        return SplitCorpus(vocabulary: vocabulary, train: Array(tokens.dropLast(validationCount)),
                           validation: Array(tokens.suffix(validationCount)))
    }

    /// Checks the text is long enough for the batch and sequence length, with advice if not.
    public static func checkSize(_ corpus: SplitCorpus, batch: Int, sequenceLength: Int) throws {
        let perStream = corpus.train.count / batch
        guard perStream >= sequenceLength + 1 else {
            throw UsageError("the training text has \(corpus.train.count) characters: split into --batch \(batch) streams that is \(perStream) each, but --seq \(sequenceLength) needs at least \(sequenceLength + 1); use a smaller --batch or --seq, or more text")
        }
        if !corpus.validation.isEmpty && corpus.validation.count < 2 {
            throw UsageError("the held-out text has only \(corpus.validation.count) character; raise --val-fraction or give more text")
        }
    }

    /// A new run: fresh model and optimizer at step 0.
    public static func newRun(model modelConfiguration: ModelConfiguration, training: TrainingConfiguration,
                              corpus: SplitCorpus, run: RunFolder, reporter: TrainingReporter?,
                              activationBudget: Double = TrainingMemory.activationBudget,
                              minimumSliceStreams: Int = TrainingMemory.minimumSliceStreams) throws -> Trainer {
        if let problem = modelConfiguration.problem { throw UsageError(problem) }
        try checkSize(corpus, batch: training.batch, sequenceLength: training.sequenceLength)
        try TrainingMemory.check(model: modelConfiguration, batch: training.batch, sequenceLength: training.sequenceLength)
        if !run.stepCheckpoints().isEmpty || FileManager.default.fileExists(atPath: run.bestPath) {
            throw UsageError("\(run.path) already holds a run: continue it with --resume \(run.path), or choose another --run name")
        }
        try createFolder(run.path)
        try claim(run)
        let model = CharModel(configuration: modelConfiguration, seed: training.seed)
        let optimizer = Optimizer(kind: training.optimizer, parameterCount: model.parameterCount)
        let position = TrainingPosition(step: 0, epoch: 0, stepInEpoch: 0,
                                        randomState: SeededGenerator(seed: training.seed &+ 1).state.map { String($0, radix: 16) },
                                        bestValidationLoss: nil, bestStep: nil, elapsedSeconds: 0,
                                        smoothedTrainLoss: nil, history: [])
        return Trainer(configuration: training, model: model, vocabulary: corpus.vocabulary, optimizer: optimizer,
                       position: position, carriedState: [:], run: run, trainTokens: corpus.train,
                       validationTokens: corpus.validation, reporter: reporter, activationBudget: activationBudget,
                       minimumSliceStreams: minimumSliceStreams)
    }

    /// Continues a run from its newest checkpoint (or the given file). The architecture, the
    /// optimizer and the data position come from the checkpoint; `training` carries only the
    /// budget and the settings that may change on resume.
    public static func resume(from checkpoint: Checkpoint, path: String, training: TrainingConfiguration,
                              corpus: SplitCorpus, run: RunFolder, reporter: TrainingReporter?) throws -> Trainer {
        guard let optimizer = checkpoint.optimizer, let position = checkpoint.position else {
            throw UsageError("\(path) holds weights only (no optimizer state or training position), so it cannot be resumed")
        }
        try checkSize(corpus, batch: training.batch, sequenceLength: training.sequenceLength)
        try TrainingMemory.check(model: checkpoint.model.configuration, batch: training.batch,
                                 sequenceLength: training.sequenceLength)
        if position.stepInEpoch > 0, checkpoint.carriedStateShape.first != training.batch {
            throw UsageError("\(path) stopped mid-epoch but holds no carried state for its \(training.batch) streams, so it cannot be resumed exactly")
        }
        try claim(run)
        run.removeAbandonedTemporaryFiles()
        return Trainer(configuration: training, model: checkpoint.model, vocabulary: checkpoint.vocabulary,
                       optimizer: optimizer, position: position, carriedState: checkpoint.carriedState, run: run,
                       trainTokens: corpus.train, validationTokens: corpus.validation, reporter: reporter)
    }

    static func claim(_ run: RunFolder) throws {
        guard run.claimForThisProcess() else {
            throw UsageError("\(run.path) is being trained by another charlstm process right now; wait for it to finish (or stop it with Ctrl-C), or choose another --run name")
        }
    }

    static func createFolder(_ path: String) throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw FileWriteError.cannotWrite(path: path, reason: "cannot create the run folder")
        }
    }
}
