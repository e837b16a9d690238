import Kernels
import Tokenization

/// One text's choice of characters from a model's scores: the sampler and its random stream,
/// the last characters read and written (its `tail`, for stop strings and context), and,
/// when asked, the sum of the model's log-probabilities of what it drew.
///
/// It holds no model state: a `TextGenerator` pairs one with an `InferenceState`, and
/// `generate --count K` pairs K with the rows of one `InferenceBatch`, so that each of the K
/// texts draws exactly as a generator alone with the same seed would.
public final class CharacterDrawer {
    public let vocabulary: Vocabulary
    /// The seed the random stream started from (after `init` or the last `reseed`).
    public private(set) var seed: UInt64
    private var sampler: Sampler
    private var random: SeededGenerator
    /// The last characters read and written: as many as the longest stop string, and at least
    /// 64 so that `recentText` can show a line of context.
    let tail = TextTail(capacity: 64)
    /// Strings that end a text right after they appear.
    public var stops = StopStrings() {
        didSet { tail.reserve(stops.longest) }
    }
    /// Whether `draw` sums `logProbability` (it costs a pass over the logits per character).
    public var measuresLogProbability = false
    /// With `measuresLogProbability`: the model's own log-probability (nats, temperature 1) of
    /// the characters drawn since the last `clear` or `read`, given everything read before them.
    public private(set) var logProbability = 0.0

    public init(vocabulary: Vocabulary, settings: SamplingSettings, seed: UInt64) {
        self.vocabulary = vocabulary
        self.seed = seed
        sampler = Sampler(settings: settings, vocabularySize: vocabulary.count)
        random = SeededGenerator(seed: seed)
    }

    public var settings: SamplingSettings {
        get { sampler.settings }
        set { sampler.settings = newValue }
    }

    /// Restarts the random stream.
    public func reseed(_ seed: UInt64) {
        self.seed = seed
        random = SeededGenerator(seed: seed)
    }

    /// Forgets the text read and written so far (the random stream goes on).
    public func clear() {
        tail.clear()
        logProbability = 0
    }

    /// Notes `tokens` as read (a prompt): they join the tail, and the log-probability restarts.
    public func read<C: Collection>(_ tokens: C) where C.Element == Int32 {
        logProbability = 0
        for token in tokens.suffix(tail.capacity) { tail.append(vocabulary.scalars[Int(token)]) }
    }

    /// Draws the next character from `logits` (V scores), and notes it as written.
    public func draw(from logits: UnsafePointer<Float>) -> Int32 {
        let token = sampler.draw(logits, using: &random)
        if measuresLogProbability { logProbability += LogProbability.of(token, logits: logits, count: vocabulary.count) }
        tail.append(vocabulary.scalars[Int(token)])
        return token
    }

    /// Whether the text read and written so far ends with one of `stops`.
    public var endsWithStop: Bool { stops.matchEnd(of: tail) }

    /// The last characters read and written, up to `maximum` of them, oldest first.
    public func recentText(_ maximum: Int) -> String { tail.suffix(maximum) }
}
