/// Text a model writes, as an asynchronous sequence of pieces, from
/// ``TextModel/stream(prompt:settings:measuringLogProbability:)``.
///
/// ```swift
/// for await piece in try model.stream(prompt: "ROMEO:") {
///     print(piece, terminator: "")
/// }
/// ```
///
/// Each iteration writes the next piece (one character when sampling, the whole text for a
/// beam search) as ``TextIterator`` does, on the task that reads it. Cancelling that task
/// ends the sequence: the model stops before its next character, or within one step of a
/// beam search. Nothing can fail once the stream exists (its settings and prompt were checked
/// when it was made), so it throws nothing.
///
/// A stream is a `Sendable` description of the text: each iterator made from it writes the
/// text anew, from a fresh state.
public struct TextStream: AsyncSequence, Sendable {
    /// A piece of text.
    public typealias Element = String
    /// Reading a stream cannot fail.
    public typealias Failure = Never

    let model: TextModel
    let prompt: [Int32]
    /// The settings it writes with.
    public let settings: GenerationSettings
    let measuringLogProbability: Bool

    /// An iterator that writes the text from the start.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(text: TextIterator(model: model, prompt: prompt, settings: settings,
                                         measuringLogProbability: measuringLogProbability, shouldStop: { false }))
    }

    /// Writes the pieces of one text; after the last, it tells why the text ended.
    public struct AsyncIterator: AsyncIteratorProtocol {
        /// The text being written, with its seed, finish reason and log-probability.
        public let text: TextIterator

        /// The next piece, or nil when the text has ended or the task was cancelled.
        public mutating func next() async -> String? {
            text.next()
        }
    }
}
