import Checkpoints
import Foundation
import Tokenization
import Training

/// Sets up a fine-tuning run: a new run from a parent checkpoint's weights.
enum FineTuning {
    static func trainer(parent argument: String, training: TrainingConfiguration, dropout: Float?, corpus: Corpus,
                        extendingVocabulary: Bool, run: RunFolder, reporter: EventReporter) throws -> Trainer {
        let path = try resolveCheckpointArgument(argument)
        let parent = try Checkpoint.read(from: path)
        // Hashed from the bytes just read and checked (a file replaced in between fails the
        // checksum of one or the other read, never names the wrong parent silently).
        let bytes: Data
        do { bytes = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CheckpointError(path: path, problem: "cannot be read")
        }
        let split: SplitCorpus
        do {
            split = try TrainingSetup.loadCorpus(corpus.paths, validationFraction: training.validationFraction,
                                                 vocabulary: parent.vocabulary, extendVocabulary: extendingVocabulary,
                                                 evaluationCharacters: training.evaluationCharacters,
                                                 invalidUTF8: corpus.invalidUTF8, cache: corpus.cache, report: reporter.note)
        } catch let error as UsageError {
            throw CharLSTMError(.unknownCharacters, "cannot fine-tune \(path) on this corpus: \(error.description); pass --extend-vocab to add them to the model")
        }
        if !split.addedCharacters.isEmpty {
            let count = split.addedCharacters.count
            reporter.note("vocabulary extended by \(count) character\(count == 1 ? "" : "s"): "
                          + split.addedCharacters.map(visibleCharacter).joined(separator: ", "))
        }
        return try TrainingSetup.fineTune(parent, recordedAs: ParentCheckpoint(file: path, sha256: SHA256.hex(bytes)),
                                          regularise: { $0.dropout = dropout ?? $0.dropout }, training: training, corpus: split,
                                          run: run, reporter: reporter)
    }
}
