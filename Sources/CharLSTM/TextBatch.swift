import Foundation
import Kernels
import RecurrentNetwork
import Sampling
import Tokenization

/// Many texts written together, one character each per ``step()``: the texts of a server's
/// concurrent requests, say.
///
/// A step advances every text at once: each layer multiplies the weights by all the texts'
/// states in one matrix product, so the weights are read once per character for all of them,
/// which is what bounds the speed of writing. Texts join with ``add(prompt:settings:)`` and
/// leave with ``remove(_:)`` between steps; a text that ends (at its length or a stop string)
/// leaves by itself with the step that ended it. A joining text reads its prompt one character
/// per step, alongside the others, before it writes.
///
/// Each text samples with its own settings and random stream. Alone in a batch, a text is the
/// very text ``TextModel/text(prompt:settings:measuringLogProbability:shouldStop:)`` writes with
/// the same settings; beside others, the matrix products may round differently in the last
/// bits, which can, rarely, change a character drawn.
///
/// ```swift
/// let batch = TextBatch(model: model)
/// let romeo = try batch.add(prompt: "ROMEO:", settings: GenerationSettings(length: 100, seed: 1))
/// let juliet = try batch.add(prompt: "JULIET:", settings: GenerationSettings(length: 80, seed: 2))
/// while batch.count > 0 {
///     for piece in batch.step() where !piece.text.isEmpty { print(piece.id == romeo ? "R" : "J", piece.text) }
/// }
/// ```
///
/// A batch belongs to one thread at a time: it is not `Sendable` (its model is).
public final class TextBatch {
    /// The model every text of the batch is written by.
    public let model: TextModel
    /// The most texts the batch holds at once.
    public let capacity: Int
    private let states: InferenceBatch
    /// Row r of `states` belongs to `texts[r]`.
    private var texts: [BatchedText] = []
    private var tokens: [Int32]
    private var nextID = 0
    /// Per size class of the batch (2–3, 4–7, 8–15, … texts; index 0, one text, is unused:
    /// one row runs on one thread), the tuner that picks the thread count of its steps as they
    /// go: a large model's products may run faster on every core, or slower when another
    /// process holds one, and which holds differs with the rows (a few are bound by reading the
    /// weights, dozens by arithmetic), so each class measures for itself. Empty for a small
    /// model or a one-core machine, whose steps run on one thread.
    private var tuners: [ThreadTuner]

    /// An empty batch over `model` that holds up to `capacity` texts (at least 1).
    ///
    /// One text's steps, and a small model's, run on one thread; a large model's other
    /// steps on the thread count that a `ThreadTuner` finds fastest as they go (the texts do not
    /// depend on it). The weights are the model's ``TextModel/precision``.
    public init(model: TextModel, capacity: Int = 64) {
        self.model = model
        self.capacity = max(capacity, 1)
        states = InferenceBatch(weights: FusedWeights(model: model.loaded.checkpoint.model, precision: model.loaded.precision),
                                capacity: self.capacity)
        tokens = [Int32](repeating: 0, count: self.capacity)
        BLAS.threads = 1
        if model.loaded.checkpoint.model.parameterCount >= SamplingModel.multithreadedFrom,
           let candidates = ThreadTuner.candidates(cores: ProcessInfo.processInfo.activeProcessorCount) {
            tuners = (0...Self.sizeClass(self.capacity)).map { _ in ThreadTuner(candidates: candidates, setThreads: { _ in }) }
        } else {
            tuners = []
        }
    }

    /// 0 for 1 text, 1 for 2–3, 2 for 4–7, …
    private static func sizeClass(_ count: Int) -> Int { Int.bitWidth - count.leadingZeroBitCount - 1 }

    /// How many texts are in the batch.
    public var count: Int { texts.count }

    /// One text's piece of a step.
    public struct Piece: Sendable, Equatable {
        /// The text it belongs to: what ``TextBatch/add(prompt:settings:)`` returned.
        public let id: Int
        /// The character written: empty while the text still reads its prompt, or when it
        /// ended without writing one (a length of 0).
        public let text: String
        /// Why the text ended with this piece; nil while it goes on.
        public let finishReason: FinishReason?
    }

    /// Adds a text that continues `prompt`. Returns the text's id, unique within this batch.
    ///
    /// - Throws: ``CharLSTMError`` of kind `settings` for a setting out of range, a beam search
    ///   (a batch samples; ``TextModel/text(prompt:settings:measuringLogProbability:shouldStop:)``
    ///   searches) or a full batch, or `unknownCharacters` for a prompt character the model does not know.
    @discardableResult
    public func add(prompt: String, settings: GenerationSettings) throws(CharLSTMError) -> Int {
        try settings.validate()
        if settings.beamWidth != nil {
            throw CharLSTMError(.settings, "a batch samples every text; a beam search writes one text at a time: use TextModel.text(prompt:settings:)")
        }
        guard texts.count < capacity else {
            throw CharLSTMError(.settings, "the batch holds \(capacity) texts already; wait for one to end or make a larger batch")
        }
        let text = BatchedText(id: nextID, prompt: try model.tokens(prompt, what: "prompt"), settings: settings,
                               vocabulary: model.loaded.checkpoint.vocabulary)
        nextID += 1
        states.resetRow(texts.count)
        texts.append(text)
        return text.id
    }

    /// Takes the text `id` out of the batch (nothing happens when it is not in it).
    public func remove(_ id: Int) {
        if let row = texts.firstIndex(where: { $0.id == id }) { removeRow(row) }
    }

    /// Writes the next character of every text, and takes out the texts that ended.
    ///
    /// - Returns: one piece per text that was in the batch.
    public func step() -> [Piece] {
        var pieces: [Piece] = []
        // Texts that ended before reading anything: a length of 0, or a first character drawn
        // when they joined (no prompt, and no line break in the vocabulary to start after).
        for row in texts.indices.reversed() where texts[row].finishReason != nil {
            pieces.append(Piece(id: texts[row].id, text: texts[row].takeEarlyText(), finishReason: texts[row].finishReason))
            removeRow(row)
        }
        let k = texts.count
        guard k > 0 else { return pieces }
        for row in 0..<k { tokens[row] = texts[row].nextInput() }
        let sizeClass = Self.sizeClass(k)
        let tuned = sizeClass > 0 && tuners.indices.contains(sizeClass)
        states.threads = tuned ? tuners[sizeClass].current : 1
        if tuned { tuners[sizeClass].stepStarting() }
        tokens.withUnsafeBufferPointer { states.step(UnsafeBufferPointer(rebasing: $0[0..<k])) }
        if tuned { tuners[sizeClass].stepFinished() }
        for row in 0..<k {
            let text = texts[row]
            let written = text.isReadingPrompt ? "" : text.draw(from: states.logits(of: row))
            pieces.append(Piece(id: text.id, text: text.takeEarlyText() + written, finishReason: text.finishReason))
        }
        for row in texts.indices.reversed() where texts[row].finishReason != nil { removeRow(row) }
        return pieces
    }

    /// Takes out the text in `row`; the last row's text moves into its place.
    private func removeRow(_ row: Int) {
        let last = texts.count - 1
        states.moveRow(last, to: row)
        texts.swapAt(row, last)
        texts.removeLast()
    }
}

/// One text of a `TextBatch`: what it still has to read, how it samples (a `CharacterDrawer`,
/// as `TextGenerator` has), and what it wrote, following `TextGenerator` step for step so that
/// alone it writes the same text.
private final class BatchedText {
    let id: Int
    private let vocabulary: Vocabulary
    private let drawer: CharacterDrawer
    private let length: Int
    /// Characters to read, in order; the first is read at the next step.
    private var pending: [Int32]
    private var written = 0
    /// A character drawn before any step, reported with the next piece.
    private var earlyText = ""
    private(set) var finishReason: FinishReason?

    init(id: Int, prompt: [Int32], settings: GenerationSettings, vocabulary: Vocabulary) {
        self.id = id
        self.vocabulary = vocabulary
        drawer = CharacterDrawer(vocabulary: vocabulary, settings: settings.sampling, seed: settings.seed ?? TextIterator.freshSeed())
        drawer.stops = StopStrings(settings.stop)
        length = settings.length
        drawer.read(prompt)
        // With no prompt, a text starts as if after a line break, as TextGenerator's does.
        pending = prompt.isEmpty ? vocabulary.index(of: "\n").map { [$0] } ?? [] : prompt
        if length == 0 {
            finishReason = .length
        } else if pending.isEmpty {
            // Nothing to read at all: the first character comes from a flat distribution.
            let flat = [Float](repeating: 0, count: vocabulary.count)
            earlyText = flat.withUnsafeBufferPointer { draw(from: $0.baseAddress!) }
        }
    }

    /// The character this text reads at the next step.
    func nextInput() -> Int32 { pending.removeFirst() }

    /// Whether the text has more of its prompt to read before it writes.
    var isReadingPrompt: Bool { !pending.isEmpty }

    /// Draws the next character from `logits`; it is read at the next step.
    func draw(from logits: UnsafePointer<Float>) -> String {
        let token = drawer.draw(from: logits)
        written += 1
        pending = [token]
        if drawer.endsWithStop { finishReason = .stop } else if written >= length { finishReason = .length }
        return String(vocabulary.scalars[Int(token)])
    }

    /// The character drawn when the text joined, once (then empty).
    func takeEarlyText() -> String {
        defer { earlyText = "" }
        return earlyText
    }
}
