/// Many texts written together, one character each per ``step()``: the texts of a server's
/// concurrent requests, say.
///
/// Texts join with ``add(prompt:settings:)`` and leave with ``remove(_:)`` between steps; a text
/// that ends (at its length or a stop string) leaves by itself after the step that ended it.
/// Each text samples with its own settings and random stream, so a text is the same whatever
/// else shares the batch.
///
/// ```swift
/// let batch = TextBatch(model: model)
/// let romeo = try batch.add(prompt: "ROMEO:", settings: GenerationSettings(length: 100, seed: 1))
/// let juliet = try batch.add(prompt: "JULIET:", settings: GenerationSettings(length: 80, seed: 2))
/// while batch.count > 0 {
///     for piece in batch.step() { print(piece.id == romeo ? "R" : "J", piece.text) }
/// }
/// ```
///
/// A batch belongs to one thread at a time: it is not `Sendable` (its model is).
public final class TextBatch {
    /// The model every text of the batch is written by.
    public let model: TextModel
    /// The texts in the batch, in the order they joined.
    private var texts: [(id: Int, text: TextIterator)] = []
    private var nextID = 0

    /// An empty batch over `model`.
    public init(model: TextModel) {
        self.model = model
    }

    /// How many texts are in the batch.
    public var count: Int { texts.count }

    /// One text's piece of a step.
    public struct Piece: Sendable, Equatable {
        /// The text it belongs to: what ``TextBatch/add(prompt:settings:)`` returned.
        public let id: Int
        /// The character written (empty when the text ended before writing one).
        public let text: String
        /// Why the text ended with this piece; nil while it goes on.
        public let finishReason: FinishReason?
    }

    /// Adds a text that continues `prompt`, read right away; its first character comes with
    /// the next ``step()``. Returns the text's id, unique within this batch.
    ///
    /// - Throws: ``CharLSTMError`` of kind `settings` for a setting out of range or a beam
    ///   search (a batch samples; ``TextModel/text(prompt:settings:measuringLogProbability:shouldStop:)``
    ///   searches), or `unknownCharacters` for a prompt character the model does not know.
    @discardableResult
    public func add(prompt: String, settings: GenerationSettings) throws(CharLSTMError) -> Int {
        if settings.beamWidth != nil {
            throw CharLSTMError(.settings, "a batch samples every text; a beam search writes one text at a time: use TextModel.text(prompt:settings:)")
        }
        let text = try model.text(prompt: prompt, settings: settings)
        defer { nextID += 1 }
        texts.append((nextID, text))
        return nextID
    }

    /// Takes the text `id` out of the batch (nothing happens when it is not in it).
    public func remove(_ id: Int) {
        texts.removeAll { $0.id == id }
    }

    /// Writes the next character of every text, and takes out the texts that ended.
    ///
    /// - Returns: one piece per text that was in the batch, in the order they joined.
    public func step() -> [Piece] {
        let pieces = texts.map { entry in
            let written = entry.text.next()
            let reason = entry.text.finishReason ?? (entry.text.count >= entry.text.settings.length ? .length : nil)
            return Piece(id: entry.id, text: written ?? "", finishReason: reason)
        }
        texts.removeAll { $0.text.finishReason != nil || $0.text.count >= $0.text.settings.length }
        return pieces
    }
}
