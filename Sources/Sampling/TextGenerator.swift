import Kernels
import Network
import Tokenization

/// A model writing text one character at a time: the streaming core of `generate` and the REPL.
///
/// Its invariant: after any `feed` or `next`, the model's state has read everything so far
/// and its logits score the character that comes next. So text fed after a continuation
/// follows on from it, and `next` can be called again at any time to read on. Nothing is
/// allocated per character.
public final class TextGenerator {
    public let model: CharModel
    public let vocabulary: Vocabulary
    /// The seed the random stream started from (after `init` or the last `reseed`).
    public private(set) var seed: UInt64
    private let state: InferenceState
    private var sampler: Sampler
    private var random: SeededGenerator
    /// False on a fresh state, when there are no logits to draw from yet.
    private var hasPrediction = false

    public init(model: CharModel, vocabulary: Vocabulary, settings: SamplingSettings, seed: UInt64) {
        precondition(model.configuration.vocabularySize == vocabulary.count)
        self.model = model
        self.vocabulary = vocabulary
        self.seed = seed
        state = InferenceState(model: model)
        sampler = Sampler(settings: settings, vocabularySize: vocabulary.count)
        random = SeededGenerator(seed: seed)
    }

    public var settings: SamplingSettings {
        get { sampler.settings }
        set { sampler.settings = newValue }
    }

    /// Restarts the random stream (the model's state is kept).
    public func reseed(_ seed: UInt64) {
        self.seed = seed
        random = SeededGenerator(seed: seed)
    }

    /// Forgets all text read so far: a fresh state, as before any prompt.
    public func reset() {
        state.reset()
        hasPrediction = false
    }

    /// Reads `tokens` into the state (priming it with a prompt); only the last one runs the decoder.
    public func feed<C: BidirectionalCollection>(_ tokens: C) where C.Element == Int32 {
        guard let last = tokens.last else { return }
        for token in tokens.dropLast() { state.step(token, computeLogits: false) }
        state.step(last)
        hasPrediction = true
    }

    /// Draws the next character and reads it into the state.
    ///
    /// On a fresh state with nothing fed, the text starts as if after a line break when the
    /// vocabulary has one (a natural start for most text); otherwise the first character is
    /// drawn from a flat distribution.
    public func next() -> Int32 {
        if !hasPrediction {
            if let lineFeed = vocabulary.index(of: "\n") { state.step(lineFeed) } else { state.logits.zero() }
            hasPrediction = true
        }
        let token = sampler.draw(state.logits.pointer, using: &random)
        state.step(token)
        return token
    }

    /// Draws up to `count` characters one by one, handing each to `body` as soon as it is
    /// drawn; stops early when `body` returns false. Returns how many were drawn.
    @discardableResult
    public func continueText(count: Int, _ body: (Unicode.Scalar) -> Bool) -> Int {
        for drawn in 0..<max(count, 0) {
            guard body(vocabulary.scalars[Int(next())]) else { return drawn + 1 }
        }
        return max(count, 0)
    }

    /// The prompt as tokens. Characters the model does not know are an error naming them, or,
    /// with `skippingUnknown`, left out and returned in `skipped` with their counts.
    public func tokens(for prompt: String, skippingUnknown: Bool) throws
        -> (tokens: [Int32], skipped: [Unicode.Scalar: Int]) {
        let unknown = vocabulary.unknownCharacters(in: prompt.unicodeScalars)
        guard !unknown.isEmpty else { return (try vocabulary.encode(prompt.unicodeScalars), [:]) }
        guard skippingUnknown else { throw VocabularyError.unknownCharacters(unknown) }
        return (prompt.unicodeScalars.compactMap { vocabulary.index(of: $0) }, unknown)
    }
}
