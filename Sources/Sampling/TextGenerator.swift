import Kernels
import RecurrentNetwork
import Tokenization

/// A model writing text one character at a time: the streaming core of `generate` and the REPL.
///
/// Its invariant: after any `feed` or `next`, the model's state has read everything so far
/// and its logits score the character that comes next. So text fed after a continuation
/// follows on from it, and `next` can be called again at any time to read on. Nothing is
/// allocated per character.
///
/// It also remembers the last characters read and written (its `tail`), so that `stops` can
/// end a continuation right after a stop string, and, when asked, sums the model's own
/// log-probability of what it writes.
public final class TextGenerator {
    public let model: CharModel
    public let vocabulary: Vocabulary
    let state: InferenceState
    /// The sampler, its random stream, the tail and the log-probability.
    let drawer: CharacterDrawer
    /// False on a fresh state, when there are no logits to draw from yet.
    private var hasPrediction = false

    /// A generator of `model`'s text, its weights at `precision`; `workspace`, when given
    /// (fp32 only), is memory idle for as long as the generator is used, which holds its copy
    /// of the weights (see `InferenceState.init`).
    public init(model: CharModel, vocabulary: Vocabulary, settings: SamplingSettings, seed: UInt64,
                precision: WeightPrecision = .fp32, workspace: FloatBuffer? = nil) {
        precondition(model.configuration.vocabularySize == vocabulary.count)
        self.model = model
        self.vocabulary = vocabulary
        state = InferenceState(model: model, precision: precision, workspace: workspace)
        drawer = CharacterDrawer(vocabulary: vocabulary, settings: settings, seed: seed)
    }

    /// The precision of the weights the generator multiplies.
    public var precision: WeightPrecision { state.weights.precision }

    /// The seed the random stream started from (after `init` or the last `reseed`).
    public var seed: UInt64 { drawer.seed }

    public var settings: SamplingSettings {
        get { drawer.settings }
        set { drawer.settings = newValue }
    }

    /// Strings that end `continueText` right after they appear.
    public var stops: StopStrings {
        get { drawer.stops }
        set { drawer.stops = newValue }
    }

    /// Whether `next` sums `logProbability` (it costs a pass over the logits per character).
    public var measuresLogProbability: Bool {
        get { drawer.measuresLogProbability }
        set { drawer.measuresLogProbability = newValue }
    }

    /// With `measuresLogProbability`: the model's own log-probability (nats, temperature 1) of
    /// the characters drawn since the last `reset` or `feed`, given everything read before them.
    public var logProbability: Double { drawer.logProbability }

    /// The last characters read and written (see `CharacterDrawer.tail`).
    var tail: TextTail { drawer.tail }

    /// Restarts the random stream (the model's state is kept).
    public func reseed(_ seed: UInt64) { drawer.reseed(seed) }

    /// Forgets all text read so far: a fresh state, as before any prompt.
    public func reset() {
        state.reset()
        hasPrediction = false
        drawer.clear()
    }

    /// Reads `tokens` into the state (priming it with a prompt); only the last one runs the decoder.
    public func feed<C: BidirectionalCollection>(_ tokens: C) where C.Element == Int32 {
        guard let last = tokens.last else { return }
        for token in tokens.dropLast() { state.step(token, computeLogits: false) }
        state.step(last)
        hasPrediction = true
        drawer.read(tokens)
    }

    /// Draws the next character and reads it into the state.
    ///
    /// On a fresh state with nothing fed, the text starts as if after a line break when the
    /// vocabulary has one (a natural start for most text); otherwise the first character is
    /// drawn from a flat distribution.
    public func next() -> Int32 {
        preparePrediction()
        let token = drawer.draw(from: state.logits.pointer)
        state.step(token)
        return token
    }

    /// Makes sure the state has logits to draw from: see `next`.
    func preparePrediction() {
        guard !hasPrediction else { return }
        if let lineFeed = vocabulary.index(of: "\n") { state.step(lineFeed) } else { state.logits.zero() }
        hasPrediction = true
    }

    /// Draws up to `count` characters one by one, handing each to `body` as soon as it is
    /// drawn; stops early when `body` returns false or right after a stop string. Returns how
    /// many were drawn.
    @discardableResult
    public func continueText(count: Int, _ body: (Unicode.Scalar) -> Bool) -> Int {
        for drawn in 0..<max(count, 0) {
            guard body(vocabulary.scalars[Int(next())]), !endsWithStop else { return drawn + 1 }
        }
        return max(count, 0)
    }

    /// Whether the text read and written so far ends with one of `stops`.
    public var endsWithStop: Bool { drawer.endsWithStop }

    /// The `count` most likely next characters under the model's own distribution (temperature
    /// 1, no top-k or top-p), most likely first (ties in vocabulary order), with their probabilities.
    public func choices(_ count: Int) -> [(character: Unicode.Scalar, probability: Double)] {
        preparePrediction()
        let p = LogProbability.probabilities(state.logits.pointer, count: vocabulary.count)
        let ranked = p.indices.sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }
        return ranked.prefix(max(count, 0)).map { (vocabulary.scalars[$0], p[$0]) }
    }

    /// The last characters read and written, up to `maximum` of them, oldest first.
    public func recentText(_ maximum: Int) -> String { drawer.recentText(maximum) }

    /// The prompt as tokens. Characters the model does not know are an error naming them, or,
    /// with `skippingUnknown`, left out and returned in `skipped` with their counts.
    public func tokens(for prompt: String, skippingUnknown: Bool) throws
        -> (tokens: [Int32], skipped: [Unicode.Scalar: Int]) {
        try vocabulary.promptTokens(for: prompt, skippingUnknown: skippingUnknown)
    }
}

extension Vocabulary {
    /// The prompt as tokens. Characters the vocabulary lacks are an error naming them, or,
    /// with `skippingUnknown`, left out and returned in `skipped` with their counts.
    public func promptTokens(for prompt: String, skippingUnknown: Bool) throws
        -> (tokens: [Int32], skipped: [Unicode.Scalar: Int]) {
        let unknown = unknownCharacters(in: prompt.unicodeScalars)
        guard !unknown.isEmpty else { return (try encode(prompt.unicodeScalars), [:]) }
        guard skippingUnknown else { throw VocabularyError.unknownCharacters(unknown) }
        return (prompt.unicodeScalars.compactMap { index(of: $0) }, unknown)
    }
}
