import Checkpoints
import Foundation
import Tokenization
import Training

/// Sets up a resumed run: the newest checkpoint of a run folder, or a checkpoint file, with
/// the run's model, optimizer, data position and settings.
enum Resumption {
    /// - Parameter adjust: given the checkpoint's file and stored settings, the settings to go on
    ///   with (it may change the budget and the settings that may change on resume, or throw to refuse).
    static func trainer(_ argument: String, run runFolder: RunFolder, corpus: Corpus?, reporter: EventReporter,
                        adjust: (String, Checkpoint, TrainingConfiguration) throws -> TrainingConfiguration) throws -> Trainer {
        let path: String
        if RunFolder.isFolder(argument) {
            guard let latest = runFolder.latestCheckpoint else {
                throw UsageError("\(argument): no step checkpoint to resume from (step-*.safetensors)")
            }
            path = latest
        } else {
            path = argument
        }
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.read(from: path) } catch let error as CheckpointError {
            // A damaged newest checkpoint (a disk error, not a kill: writes are atomic) need
            // not end the run: say which older one to continue from instead.
            guard let older = runFolder.stepCheckpoints().last(where: { $0.path != path }) else { throw error }
            throw CheckpointError(path: error.path, problem: error.problem + "; continue from the previous one with --resume \(older.path)")
        }
        guard let stored = checkpoint.training else {
            throw UsageError("\(path) holds no training configuration, so it cannot be resumed")
        }
        var training = try adjust(path, checkpoint, stored)
        let givenPaths = corpus?.paths ?? []
        if !givenPaths.isEmpty { training.corpus = givenPaths.map { ($0 as NSString).standardizingPath } }
        if training.corpus.isEmpty { throw UsageError("\(path) does not record its corpus: give the corpus on the command line") }
        let reading = corpus ?? Corpus([])
        let split: SplitCorpus
        do {
            split = try TrainingSetup.loadCorpus(training.corpus, validationFraction: training.validationFraction,
                                                 vocabulary: checkpoint.vocabulary,
                                                 evaluationCharacters: training.evaluationCharacters,
                                                 invalidUTF8: reading.invalidUTF8, cache: reading.cache, report: reporter.note)
        } catch let error as UsageError {
            throw UsageError("cannot resume on this corpus: \(error.description)")
        } catch CorpusError.notFound(let missing) where givenPaths.isEmpty {
            // The run's own corpus, recorded at its start, has been moved or deleted since.
            throw UsageError("cannot resume \(argument): its corpus \(missing) is gone (no such file or folder); "
                             + "give the text again: charlstm train FILE... --resume \(argument)")
        }
        return try TrainingSetup.resume(from: checkpoint, path: path, training: training, corpus: split,
                                        run: runFolder, reporter: reporter)
    }
}
