import Checkpoints
import Foundation
import Kernels
import RecurrentNetwork
import Tokenization

/// A problem with what the user asked for: reported as one line, exit status 2.
public struct UsageError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The text a run trains and validates on, read from the token cache a window at a time.
public struct SplitCorpus {
    public var vocabulary: Vocabulary
    public var train: any TokenSequence
    /// The held-out text evaluated at each evaluation (capped by `--eval-chars`).
    public var validation: any TokenSequence
    /// Characters the corpus added to the given vocabulary (`extendVocabulary`), in index order.
    public var addedCharacters: [Unicode.Scalar] = []
    /// Identifies the text and its split, so the ranks of a data-parallel job can check that
    /// every host read the same corpus.
    public var fingerprint = ""
}

public enum TrainingSetup {
    /// Default for `--eval-chars`: evaluating costs a forward pass (about a third of a training
    /// step's work per character), so at the default batch and seq 250,000 characters cost
    /// about as much as 35 training steps: some 7 % of the training time between two
    /// evaluations 500 steps apart, whatever the size of the corpus.
    public static let defaultEvaluationCharacters = 250_000

    /// Encodes the corpus through the token cache (built on first use, streaming) and splits
    /// off the last `validationFraction` as held-out text, of which the first
    /// `evaluationCharacters` (all when nil) are evaluated. With `vocabulary`, the text is read
    /// in its indices: characters it lacks are an error naming them, or with
    /// `extendVocabulary` are appended to it; otherwise the vocabulary is the text's own.
    public static func loadCorpus(_ paths: [String], validationFraction: Double, vocabulary given: Vocabulary? = nil,
                                  extendVocabulary: Bool = false, evaluationCharacters: Int? = nil,
                                  invalidUTF8: InvalidUTF8Policy, cache: TokenCache,
                                  report: (String) -> Void = { _ in }) throws -> SplitCorpus {
        let text = try cache.open(paths, invalidUTF8: invalidUTF8, report: report)
        var vocabulary = given ?? text.vocabulary
        var added = [Unicode.Scalar]()
        if extendVocabulary, let given {
            vocabulary = given.extended(with: text.characters.map(\.scalar))
            added = Array(vocabulary.scalars.dropFirst(given.count))
        }
        let validationCount = Int((Double(text.count) * validationFraction).rounded(.down))
        let trainCount = text.count - validationCount
        do {
            let train = try text.tokens(in: 0..<trainCount, vocabulary: vocabulary)
            let validation = try text.tokens(in: trainCount..<text.count, vocabulary: vocabulary)
            return SplitCorpus(vocabulary: vocabulary, train: train,
                               validation: validation.prefix(evaluationCharacters ?? validationCount), addedCharacters: added,
                               fingerprint: "\(text.checksum) \(trainCount) \(validationCount)")
        } catch let error as VocabularyError {
            throw UsageError("\(paths.joined(separator: ", ")): \(error)")
        }
    }

    /// Checks the text is long enough for the batch and sequence length, with advice if not.
    public static func checkSize(_ corpus: SplitCorpus, batch: Int, sequenceLength: Int) throws {
        let perStream = corpus.train.count / batch
        guard perStream >= sequenceLength + 1 else {
            throw UsageError("the training text has \(corpus.train.count) characters: split into --batch \(batch) streams that is \(perStream) each, but --seq \(sequenceLength) needs at least \(sequenceLength + 1); use a smaller --batch or --seq, or more text")
        }
        if corpus.validation.count > 0 && corpus.validation.count < 2 {
            throw UsageError("the held-out text has only \(corpus.validation.count) character; raise --val-fraction or give more text")
        }
    }

    /// Checks that the batch's streams split evenly over the ranks of `group`.
    public static func checkSplit(batch: Int, over group: any TrainingGroup) throws {
        guard batch % group.size != 0 else { return }
        throw UsageError("--batch \(batch) does not split over \(group.size) processes: each trains an equal share of the streams, so give a --batch that is a multiple of \(group.size) (or run another number of processes)")
    }

    /// A new run: fresh model and optimizer at step 0. In a `group`, every rank builds the same
    /// model from the seed, and only rank 0 touches the run folder.
    public static func newRun(model modelConfiguration: ModelConfiguration, training: TrainingConfiguration,
                              corpus: SplitCorpus, run: RunFolder, reporter: TrainingReporter?,
                              group: any TrainingGroup = SingleProcess(),
                              activationBudget: Double = TrainingMemory.activationBudget,
                              minimumSliceStreams: Int = TrainingMemory.minimumSliceStreams) throws -> Trainer {
        if let problem = modelConfiguration.problem { throw UsageError(problem) }
        return try start(modelConfiguration, { CharModel(configuration: modelConfiguration, seed: training.seed) },
                         training: training, corpus: corpus, run: run, reporter: reporter, group: group,
                         activationBudget: activationBudget, minimumSliceStreams: minimumSliceStreams)
    }

    /// A fine-tuning run (`--init-from`): the parent's weights, with the vocabulary grown when
    /// the corpus added characters to it, and a fresh optimizer, schedule and run folder. Every
    /// checkpoint of the run records `parent`.
    /// `regularise` sets the dropouts the fine-tuning asks for over the parent's own.
    public static func fineTune(_ parent: Checkpoint, recordedAs record: ParentCheckpoint,
                                regularise: (inout ModelConfiguration) -> Void,
                                training: TrainingConfiguration, corpus: SplitCorpus, run: RunFolder,
                                reporter: TrainingReporter?, group: any TrainingGroup = SingleProcess()) throws -> Trainer {
        var configuration = parent.model.configuration
        configuration.vocabularySize = corpus.vocabulary.count
        regularise(&configuration)
        let trainer = try start(configuration, {
            let model = configuration.vocabularySize > parent.vocabulary.count
                ? parent.model.growingVocabulary(to: configuration.vocabularySize, seed: training.seed) : parent.model
            return CharModel(configuration: configuration, parameters: model.parameters)
        }, training: training, corpus: corpus, run: run, reporter: reporter, group: group)
        trainer.parent = record
        return trainer
    }

    /// Starts a run at step 0 with a fresh optimizer, in a folder that holds no run yet. The
    /// model (of `configuration`) is made only once the corpus and the memory have been checked.
    static func start(_ configuration: ModelConfiguration, _ makeModel: () -> CharModel, training: TrainingConfiguration,
                      corpus: SplitCorpus, run: RunFolder, reporter: TrainingReporter?, group: any TrainingGroup,
                      activationBudget: Double = TrainingMemory.activationBudget,
                      minimumSliceStreams: Int = TrainingMemory.minimumSliceStreams) throws -> Trainer {
        try checkSplit(batch: training.batch, over: group)
        try checkSize(corpus, batch: training.batch, sequenceLength: training.sequenceLength)
        try TrainingMemory.check(model: configuration, batch: training.batch / group.size, sequenceLength: training.sequenceLength)
        if group.rank == 0 {
            if !run.stepCheckpoints().isEmpty || FileManager.default.fileExists(atPath: run.bestPath) {
                throw UsageError("\(run.path) already holds a run: continue it with --resume \(run.path), or choose another --run name")
            }
            try createFolder(run.path)
            try claim(run)
        }
        let model = makeModel()
        let optimizer = Optimizer(kind: training.optimizer, parameterCount: model.parameterCount)
        let position = TrainingPosition(step: 0, epoch: 0, stepInEpoch: 0,
                                        randomState: SeededGenerator(seed: training.seed &+ 1).state.map { String($0, radix: 16) },
                                        bestValidationLoss: nil, bestStep: nil, elapsedSeconds: 0,
                                        smoothedTrainLoss: nil, history: [])
        let trainer = Trainer(configuration: training, model: model, vocabulary: corpus.vocabulary, optimizer: optimizer,
                              position: position, carriedState: [:], run: run, trainTokens: corpus.train,
                              validationTokens: corpus.validation, reporter: reporter, group: group,
                              activationBudget: activationBudget, minimumSliceStreams: minimumSliceStreams)
        trainer.corpusFingerprint = corpus.fingerprint
        return trainer
    }

    /// Continues a run from its newest checkpoint (or the given file). The architecture, the
    /// optimizer and the data position come from the checkpoint; `training` carries only the
    /// budget and the settings that may change on resume. The run may continue in a `group`
    /// of any size that divides its batch, whatever size wrote the checkpoint.
    public static func resume(from checkpoint: Checkpoint, path: String, training: TrainingConfiguration,
                              corpus: SplitCorpus, run: RunFolder, reporter: TrainingReporter?,
                              group: any TrainingGroup = SingleProcess()) throws -> Trainer {
        guard let optimizer = checkpoint.optimizer, let position = checkpoint.position else {
            throw UsageError("\(path) holds weights only (no optimizer state or training position), so it cannot be resumed")
        }
        try checkSplit(batch: training.batch, over: group)
        try checkSize(corpus, batch: training.batch, sequenceLength: training.sequenceLength)
        try TrainingMemory.check(model: checkpoint.model.configuration, batch: training.batch / group.size,
                                 sequenceLength: training.sequenceLength)
        if position.stepInEpoch > 0, checkpoint.carriedStateShape.first != training.batch {
            throw UsageError("\(path) stopped mid-epoch but holds no carried state for its \(training.batch) streams, so it cannot be resumed exactly")
        }
        if group.rank == 0 {
            try claim(run)
            run.removeAbandonedTemporaryFiles()
            // A kill between a checkpoint's write and the pruning after it leaves one step file
            // too many; pruning here keeps a run killed that way again and again at --keep + 1.
            run.prune(keep: training.keep)
        }
        let trainer = Trainer(configuration: training, model: checkpoint.model, vocabulary: checkpoint.vocabulary,
                              optimizer: optimizer, position: position, carriedState: checkpoint.carriedState, run: run,
                              trainTokens: corpus.train, validationTokens: corpus.validation, reporter: reporter,
                              group: group)
        trainer.parent = checkpoint.parent
        trainer.corpusFingerprint = corpus.fingerprint
        return trainer
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
