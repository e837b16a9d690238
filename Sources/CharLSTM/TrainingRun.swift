import Checkpoints
import Foundation
import Kernels
import RecurrentNetwork
import Training

/// One training run: a new model, a fine-tuned one, or a run resumed, written to a run folder
/// exactly as `charlstm train` writes it (checkpoints, `best.safetensors`, `log.csv`,
/// `loss.svg`), so the command line can resume it and the other way round.
///
/// ```swift
/// var settings = TrainingSettings()
/// settings.steps = 2000
/// let run = TrainingRun(corpus: Corpus(["corpora/shakespeare.txt"]), runFolder: "checkpoints/mine", settings: settings)
/// for try await event in run.events() {
///     if case .evaluated(let progress, _) = event { print(progress.step, progress.validationLoss ?? .nan) }
/// }
/// ```
///
/// A run trains once, with ``run(shouldStop:onEvent:)`` on the calling thread or ``events()`` on a thread
/// of its own. ``cancel()``, from any thread, stops it after the current step and saves it.
/// The math runs on `TrainingSettings/threads` cores (a process-wide setting).
public final class TrainingRun: Sendable {
    private enum Start {
        case new(TrainingSettings, Corpus)
        case fineTuning(parent: String, TrainingSettings, Corpus, dropout: Float?, extendingVocabulary: Bool)
        case resuming(String, Corpus?, adjust: @Sendable (TrainingSettings, ModelInfo) throws -> TrainingSettings)
    }

    private let start: Start
    /// The run folder the checkpoints go to (for a resumed run, the checkpoint's folder).
    public let runFolder: String
    private let cancellation = Flag()
    private let begun = Flag()

    /// A new model of `settings`' architecture, trained on `corpus` into `runFolder`, which
    /// must not hold a run yet.
    public init(corpus: Corpus, runFolder: String, settings: TrainingSettings = TrainingSettings()) {
        start = .new(settings, corpus)
        self.runFolder = runFolder
    }

    /// Fine-tuning: a new run in `runFolder` that starts from the weights of `parent` (a
    /// checkpoint file, or a run folder: its best) with a fresh optimizer and schedule. The
    /// architecture comes from the parent (`settings`' is not used); `settings` gives the
    /// rest. Every checkpoint records the parent's file and SHA-256.
    ///
    /// - Parameters:
    ///   - parent: the checkpoint file or run folder to start from.
    ///   - corpus: the text to fine-tune on.
    ///   - runFolder: the new run's folder, which must not hold a run yet.
    ///   - settings: how to train (all but the architecture).
    ///   - dropout: dropout while fine-tuning (nil: the parent's).
    ///   - extendingVocabulary: add the corpus's characters the parent does not know to its
    ///     vocabulary (new, freshly initialised rows) instead of failing.
    public init(fineTuning parent: String, corpus: Corpus, runFolder: String,
                settings: TrainingSettings = TrainingSettings(), dropout: Float? = nil, extendingVocabulary: Bool = false) {
        start = .fineTuning(parent: parent, settings, corpus, dropout: dropout, extendingVocabulary: extendingVocabulary)
        self.runFolder = runFolder
    }

    /// Continues a run exactly where its newest checkpoint left it (`checkpoint` is a run
    /// folder, or one checkpoint file in it), with the run's own settings.
    ///
    /// - Parameters:
    ///   - checkpoint: the run folder, or a checkpoint file in it.
    ///   - corpus: the text, when it has moved since the run began; its paths empty or nil
    ///     means the run's own corpus, read with this corpus's options.
    ///   - adjust: given the run's stored settings and what the checkpoint holds, the
    ///     settings to go on with: the budget, the learning rate and its decay, `clip`,
    ///     `evaluateEvery`, `keep`, `threads`, `patience` and `saveEveryMinutes` may change.
    ///     The architecture and the data layout (`batch`, `sequenceLength`, `optimizer`,
    ///     `seed`, `validationFraction`, `evaluationCharacters`) come from the run: changing
    ///     one is an error. Throwing refuses the resume with that error's message.
    public init(resuming checkpoint: String, corpus: Corpus? = nil,
                adjusting adjust: @escaping @Sendable (_ stored: TrainingSettings, _ checkpoint: ModelInfo) throws -> TrainingSettings
                    = { stored, _ in stored }) {
        start = .resuming(checkpoint, corpus, adjust: adjust)
        runFolder = RunFolder.isFolder(checkpoint) ? checkpoint : (checkpoint as NSString).deletingLastPathComponent
    }

    /// Stops the run after its current step; it saves a checkpoint and ends with
    /// ``TrainingStopReason/cancelled``. Safe from any thread, also before the run begins.
    public func cancel() { cancellation.set() }

    /// Trains on the calling thread until the budget is spent, the run is cancelled or
    /// `patience` runs out, handing each ``TrainingEvent`` to `onEvent` as it happens.
    ///
    /// - Parameters:
    ///   - shouldStop: asked before every step; true stops the run as ``cancel()`` does.
    ///   - onEvent: receives each event on the calling thread, as it happens.
    /// - Throws: ``CharLSTMError``: `settings`, `corpus`, `unknownCharacters`, `checkpoint`
    ///   or `training` when the run cannot start (nothing is written then); `diverged` when the
    ///   loss became NaN or infinite (after a ``TrainingEvent/finished(_:)`` event saying so;
    ///   the message names the last good checkpoint); `writeFailed` when a checkpoint could
    ///   not be written.
    @discardableResult
    public func run(shouldStop: () -> Bool = { false },
                    onEvent: (TrainingEvent) -> Void = { _ in }) throws(CharLSTMError) -> TrainingResult {
        guard begun.setOnce() else { throw CharLSTMError(.training, "this TrainingRun has already run; make a new one") }
        // The trainer and its reporter live only as long as this call, so neither closure
        // really escapes.
        do {
            return try withoutActuallyEscaping(shouldStop) { stop in
                try withoutActuallyEscaping(onEvent) { send in try train(shouldStop: stop, reporting: send) }
            }
        } catch {
            throw CharLSTMError(converting: error, otherwise: .training)
        }
    }

    private func train(shouldStop: @escaping () -> Bool,
                       reporting onEvent: @escaping (TrainingEvent) -> Void) throws(CharLSTMError) -> TrainingResult {
        let reporter = EventReporter(send: onEvent)
        let trainer = try CharLSTMError.converting(otherwise: .training) { try makeTrainer(reporter: reporter) }
        Parallel.configure(threads: trainer.configuration.threads)
        trainer.stopRequested = { [cancellation] in cancellation.isSet || shouldStop() }
        reporter.flushNotes()
        onEvent(.started(TrainingStart(trainer)))
        let outcome = try CharLSTMError.converting(otherwise: .writeFailed) { try trainer.train() }
        let reason: TrainingStopReason
        switch outcome.reason {
        case .budgetReached: reason = .budgetReached
        case .interrupted: reason = .cancelled
        case .noImprovement(let evaluations): reason = .noImprovement(evaluations: evaluations)
        case .diverged(let message): reason = .diverged(message)
        }
        let result = TrainingResult(reason: reason, step: outcome.step, epoch: trainer.position.epochNumber,
                                    bestValidationLoss: outcome.bestValidationLoss, runFolder: trainer.run.path,
                                    lastCheckpoint: outcome.lastCheckpoint)
        onEvent(.finished(result))
        if case .diverged(let message) = reason { throw CharLSTMError(.diverged, message) }
        return result
    }

    /// Trains on a thread of its own, as ``run(shouldStop:onEvent:)`` does, handing out its events as they
    /// happen; the last is ``TrainingEvent/finished(_:)``. The sequence throws the
    /// ``CharLSTMError`` that `run` would. Cancelling the task that reads it cancels the run.
    public func events() -> AsyncThrowingStream<TrainingEvent, any Error> {
        AsyncThrowingStream { continuation in
            continuation.onTermination = { [self] _ in cancel() }
            Thread.detachNewThread { [self] in
                do {
                    try run(onEvent: { continuation.yield($0) })
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
        }
    }

    private func makeTrainer(reporter: EventReporter) throws -> Trainer {
        let run = RunFolder(path: runFolder)
        switch start {
        case .new(let settings, let corpus):
            try settings.validate()
            let recorded = corpus.recorded
            let training = settings.configuration(corpus: recorded.paths, locations: recorded.locations)
            let split = try TrainingSetup.loadCorpus(corpus.paths, validationFraction: training.validationFraction,
                                                     evaluationCharacters: training.evaluationCharacters,
                                                     invalidUTF8: corpus.invalidUTF8, cache: corpus.cache,
                                                     report: reporter.note)
            return try TrainingSetup.newRun(model: settings.model(vocabularySize: split.vocabulary.count),
                                            training: training, corpus: split, run: run, reporter: reporter)
        case .fineTuning(let parent, let settings, let corpus, let dropout, let extending):
            try settings.validate()
            let recorded = corpus.recorded
            return try FineTuning.trainer(parent: parent, training: settings.configuration(corpus: recorded.paths, locations: recorded.locations),
                                          dropout: dropout, corpus: corpus, extendingVocabulary: extending, run: run, reporter: reporter)
        case .resuming(let checkpoint, let corpus, let adjust):
            return try Resumption.trainer(checkpoint, run: run, corpus: corpus, reporter: reporter) { path, checkpoint, stored in
                let before = TrainingSettings(model: checkpoint.model.configuration, training: stored)
                let after = try adjust(before, ModelInfo(file: path, checkpoint: checkpoint))
                try after.validate()
                if let fixed = before.unchangeableOnResume(changedIn: after) {
                    throw CharLSTMError(.settings, "\(path): \(fixed) cannot change when a run is resumed; keep the run's value or start a new run")
                }
                var training = after.configuration(corpus: stored.corpus, locations: stored.corpusLocations)
                training.chosenSize = stored.chosenSize
                // A budget in minutes spans sessions, as `charlstm train --resume` counts it: an
                // unchanged one ends where the run's schedule ends; a new one counts from here.
                let here = checkpoint.position?.elapsedSeconds ?? 0
                training.minutesStartSeconds = after.minutes == before.minutes ? stored.minutesStartSeconds ?? here : here
                return training
            }
        }
    }
}
