import Checkpoints
import Tokenization
import Training

/// Why a call failed: a kind to branch on and one sentence that says what was wrong and what
/// to do, as `charlstm` prints it.
///
/// Every throwing function of the library throws only this type.
public struct CharLSTMError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What a failure is about.
    public enum Kind: Sendable, Equatable {
        /// A checkpoint file or run folder is missing, damaged or not a checkpoint.
        case checkpoint
        /// A generation or training setting is out of its range.
        case settings
        /// A prompt or text holds characters the model's vocabulary lacks.
        case unknownCharacters
        /// A corpus is missing, empty, too small, or not valid UTF-8.
        case corpus
        /// A training run cannot go ahead: its folder already holds a run or is in use, the
        /// model does not fit in memory, or a checkpoint cannot be resumed.
        case training
        /// A file could not be written (a full disk, a folder without permission).
        case writeFailed
        /// Training diverged: the loss or the gradient became NaN or infinite.
        case diverged
    }

    /// What the failure is about.
    public let kind: Kind
    /// One sentence: what was wrong and what to do.
    public let message: String

    /// A failure of the given kind with its message.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message.
    public var description: String { message }

    /// Whether the input was at fault (a command line exits with status 2), rather than work
    /// on valid input failing (status 1).
    public var isBadInput: Bool { kind != .writeFailed && kind != .diverged }

    /// The library's error for an error of the modules it is built on; `otherwise` is the kind
    /// of a plain usage error, which depends on what was being done.
    init(converting error: any Error, otherwise: Kind) {
        switch error {
        case let error as CharLSTMError: self = error
        case let error as CheckpointError: self.init(.checkpoint, error.description)
        case let error as CorpusError: self.init(.corpus, error.description)
        case let error as VocabularyError: self.init(.unknownCharacters, error.description)
        case let error as FileWriteError: self.init(.writeFailed, error.description)
        case let error as UsageError: self.init(otherwise, error.description)
        default: self.init(otherwise, "\(error)")
        }
    }

    /// Runs `body`, turning whatever it throws into a `CharLSTMError`.
    static func converting<T>(otherwise: Kind, _ body: () throws -> T) throws(CharLSTMError) -> T {
        do { return try body() } catch { throw CharLSTMError(converting: error, otherwise: otherwise) }
    }
}
