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
        let given = corpus.map { $0.paths.isEmpty ? nil : $0.recorded } ?? nil
        if let given {
            training.corpus = given.paths
            training.corpusLocations = given.locations
        }
        if training.corpus.isEmpty { throw UsageError("\(path) does not record its corpus: give the corpus on the command line") }
        var paths = training.corpus
        if given == nil {
            let found = try CorpusLocator.locate(training, runFolder: runFolder.path, runArgument: argument)
            found.forEach { reporter.note($0.note) }
            paths = found.map(\.path)
            // Recorded afresh: the next resume looks where the text was found this time.
            training.corpusLocations = try? paths.map(CorpusLocation.of)
        }
        let reading = corpus ?? Corpus([])
        let split: SplitCorpus
        do {
            split = try TrainingSetup.loadCorpus(paths, validationFraction: training.validationFraction,
                                                 vocabulary: checkpoint.vocabulary,
                                                 evaluationCharacters: training.evaluationCharacters,
                                                 invalidUTF8: reading.invalidUTF8, cache: reading.cache(besideRun: runFolder),
                                                 report: reporter.note)
        } catch let error as UsageError {
            throw UsageError("cannot resume on this corpus: \(error.description)")
        }
        return try TrainingSetup.resume(from: checkpoint, path: path, training: training, corpus: split,
                                        run: runFolder, reporter: reporter)
    }
}
