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
    /// The seed the random stream started from (after `init` or the last `reseed`).
    public private(set) var seed: UInt64
    let state: InferenceState
    private var sampler: Sampler
    private var random: SeededGenerator
    /// False on a fresh state, when there are no logits to draw from yet.
    private var hasPrediction = false
    /// The last characters read and written: as many as the longest stop string, and at least
    /// 64 so that `recentText` can show a line of context.
    let tail = TextTail(capacity: 64)
    /// Strings that end `continueText` right after they appear.
    public var stops = StopStrings() {
        didSet { tail.reserve(stops.longest) }
    }
    /// Whether `next` sums `logProbability` (it costs a pass over the logits per character).
    public var measuresLogProbability = false
    /// With `measuresLogProbability`: the model's own log-probability (nats, temperature 1) of
    /// the characters drawn since the last `reset` or `feed`, given everything read before them.
    public private(set) var logProbability = 0.0

    /// A generator of `model`'s text; `workspace`, when given, is memory idle for as long as the
    /// generator is used, which holds its copy of the weights (see `InferenceState.init`).
    public init(model: CharModel, vocabulary: Vocabulary, settings: SamplingSettings, seed: UInt64,
                workspace: FloatBuffer? = nil) {
        precondition(model.configuration.vocabularySize == vocabulary.count)
        self.model = model
        self.vocabulary = vocabulary
        self.seed = seed
        state = InferenceState(model: model, workspace: workspace)
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
        tail.clear()
        logProbability = 0
    }

    /// Reads `tokens` into the state (priming it with a prompt); only the last one runs the decoder.
    public func feed<C: BidirectionalCollection>(_ tokens: C) where C.Element == Int32 {
        guard let last = tokens.last else { return }
        for token in tokens.dropLast() { state.step(token, computeLogits: false) }
        state.step(last)
        hasPrediction = true
        logProbability = 0
        for token in tokens.suffix(tail.capacity) { tail.append(vocabulary.scalars[Int(token)]) }
    }

    /// Draws the next character and reads it into the state.
    ///
    /// On a fresh state with nothing fed, the text starts as if after a line break when the
    /// vocabulary has one (a natural start for most text); otherwise the first character is
    /// drawn from a flat distribution.
    public func next() -> Int32 {
        preparePrediction()
        let token = sampler.draw(state.logits.pointer, using: &random)
        if measuresLogProbability {
            logProbability += LogProbability.of(token, logits: state.logits.pointer, count: vocabulary.count)
        }
        tail.append(vocabulary.scalars[Int(token)])
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
    public var endsWithStop: Bool { stops.matchEnd(of: tail) }

    /// The `count` most likely next characters under the model's own distribution (temperature
    /// 1, no top-k or top-p), most likely first (ties in vocabulary order), with their probabilities.
    public func choices(_ count: Int) -> [(character: Unicode.Scalar, probability: Double)] {
        preparePrediction()
        let p = LogProbability.probabilities(state.logits.pointer, count: vocabulary.count)
        let ranked = p.indices.sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }
        return ranked.prefix(max(count, 0)).map { (vocabulary.scalars[$0], p[$0]) }
    }

    /// The last characters read and written, up to `maximum` of them, oldest first.
    public func recentText(_ maximum: Int) -> String { tail.suffix(maximum) }

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
