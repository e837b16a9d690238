import Checkpoints
import Sampling
import Tokenization

/// A trained model, loaded from a checkpoint: it writes text and scores text.
///
/// A model is immutable once loaded and `Sendable`: load it once and share it between tasks
/// and threads. Every text written has its own recurrent state, so any number of
/// ``TextIterator``s and ``TextStream``s may run on one model at the same time.
///
/// ```swift
/// let model = try TextModel(loading: "checkpoints/bundled")
/// for piece in try model.text(prompt: "ROMEO:", settings: GenerationSettings(length: 200, seed: 7)) {
///     print(piece, terminator: "")
/// }
/// ```
public final class TextModel: @unchecked Sendable {
    // Unchecked: the only state is the checkpoint read in `init`, and nothing writes to its
    // weights afterwards. Generators copy what they change into their own state, scoring only
    // reads them, and fine-tuning reads the checkpoint file again instead of sharing them.
    let loaded: SamplingModel

    /// What the checkpoint holds.
    public let info: ModelInfo

    /// The weights the model writes text with (scoring takes its own, see ``score(_:streams:window:adaptingAt:precision:notes:)``).
    public var precision: Precision { Precision(rawValue: loaded.precision.rawValue)! }

    /// Loads and checks a checkpoint: a `.safetensors` file, or a run folder (its best
    /// checkpoint, else its newest one). A damaged file is refused, never half-loaded.
    ///
    /// - Parameters:
    ///   - path: the file or folder.
    ///   - precision: the weights texts are written with: fp32 (the checkpoint's own), or
    ///     bf16 or int8, made from them for each text (faster for large models; the
    ///     checkpoint is not changed).
    /// - Throws: ``CharLSTMError`` of kind `checkpoint`, naming the file and what is wrong with it.
    public init(loading path: String, precision: Precision = .fp32) throws(CharLSTMError) {
        var loaded = try CharLSTMError.converting(otherwise: .checkpoint) {
            try SamplingModel(path: resolveCheckpointArgument(path))
        }
        loaded.precision = precision.weights
        self.loaded = loaded
        info = ModelInfo(file: loaded.path, checkpoint: loaded.checkpoint)
    }

    /// The characters of `text` the model does not know, with how often each occurs (empty
    /// when it knows them all).
    public func unknownCharacters(in text: String) -> [Unicode.Scalar: Int] {
        loaded.checkpoint.vocabulary.unknownCharacters(in: text.unicodeScalars)
    }

    /// `text` as the model's tokens; an unknown character is an error naming every one.
    func tokens(_ text: String, what: String) throws(CharLSTMError) -> [Int32] {
        let unknown = unknownCharacters(in: text)
        guard unknown.isEmpty else {
            throw CharLSTMError(.unknownCharacters, "the \(what) holds characters the model does not know: "
                                + describeCharacterCounts(unknown) + "; remove them (unknownCharacters(in:) lists them)")
        }
        return (try? loaded.checkpoint.vocabulary.encode(text.unicodeScalars)) ?? []
    }

    /// Writes text after `prompt`, one piece at a time, on the calling thread.
    ///
    /// - Parameters:
    ///   - prompt: text the model reads first and then continues; empty starts as if after a line break.
    ///   - settings: how to choose the characters.
    ///   - measuringLogProbability: also sum ``TextIterator/logProbability`` (a pass over the
    ///     scores per character).
    ///   - shouldStop: asked before each character (each beam step); returning true ends the
    ///     text with ``FinishReason/cancelled``. The text also ends when the current task is cancelled.
    /// - Throws: ``CharLSTMError`` of kind `settings` for a setting out of range, or
    ///   `unknownCharacters` for a prompt character the model does not know.
    public func text(prompt: String = "", settings: GenerationSettings = GenerationSettings(),
                     measuringLogProbability: Bool = false,
                     shouldStop: @escaping () -> Bool = { false }) throws(CharLSTMError) -> TextIterator {
        try settings.validate()
        return TextIterator(model: self, prompt: try tokens(prompt, what: "prompt"), settings: settings,
                            measuringLogProbability: measuringLogProbability, shouldStop: shouldStop)
    }

    /// Writes text after `prompt` as an asynchronous sequence of pieces; cancelling the task
    /// that reads it ends it. See ``text(prompt:settings:measuringLogProbability:shouldStop:)``
    /// for the parameters and what is thrown.
    public func stream(prompt: String = "", settings: GenerationSettings = GenerationSettings(),
                       measuringLogProbability: Bool = false) throws(CharLSTMError) -> TextStream {
        try settings.validate()
        return TextStream(model: self, prompt: try tokens(prompt, what: "prompt"), settings: settings,
                          measuringLogProbability: measuringLogProbability)
    }
}
