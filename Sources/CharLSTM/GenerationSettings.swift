import Sampling

/// How a model writes text: the sampling settings of `charlstm generate`, as one value.
///
/// Sampling draws each character from softmax(logits / `temperature`), restricted to the
/// `topK` most likely characters and/or the most likely ones whose probability reaches
/// `topP`. With `beamWidth`, a beam search writes the most likely text under the model's own
/// probabilities instead, and `temperature`, `topK` and `topP` are not used.
public struct GenerationSettings: Sendable, Equatable, Codable {
    /// Characters to write after the prompt, at most (fewer when a stop string ends the text).
    public var length: Int
    /// Softmax temperature, ≥ 0: lower is safer, higher is wilder; 0 is greedy argmax.
    public var temperature: Float
    /// Draw only from the k most likely characters (and any tied with the k-th); nil: all.
    public var topK: Int?
    /// Draw only from the most likely characters whose probability reaches p, in (0, 1]; nil: all.
    public var topP: Float?
    /// The random seed: the same model, prompt, settings and seed give the same text. Nil
    /// draws a fresh seed, which `TextIterator/seed` reports so the text can be repeated.
    public var seed: UInt64?
    /// End the text right after the first of these strings. A stop string may begin in the
    /// prompt but must end in the written text.
    public var stop: [String]
    /// Beam search with this many candidates (1 is greedy decoding) instead of sampling; nil: sample.
    public var beamWidth: Int?

    /// Settings with `charlstm generate`'s defaults, apart from a shorter `length`.
    public init(length: Int = 200, temperature: Float = 0.8, topK: Int? = nil, topP: Float? = nil, seed: UInt64? = nil,
                stop: [String] = [], beamWidth: Int? = nil) {
        self.length = length
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
        self.stop = stop
        self.beamWidth = beamWidth
    }

    /// The widest beam: each character costs `beamWidth` model steps.
    public static let maximumBeamWidth = 1000
    /// The most `beamWidth` × `length` a search may take: it keeps every candidate's history until it ends.
    public static let maximumBeamCharacters = 100_000_000

    /// The first setting out of range, as a sentence naming the valid range, or nil.
    public var problem: String? {
        if length < 0 { return "length must be an integer ≥ 0, got \(length)" }
        if let problem = sampling.problem { return problem }
        if stop.contains("") { return "stop strings must not be empty" }
        if let beamWidth {
            if beamWidth < 1 || beamWidth > Self.maximumBeamWidth {
                return "beam width must be an integer from 1 to \(Self.maximumBeamWidth), got \(beamWidth)"
            }
            let (total, overflow) = beamWidth.multipliedReportingOverflow(by: length)
            if overflow || total > Self.maximumBeamCharacters {
                return "beam width × length must be at most \(Self.maximumBeamCharacters): a search keeps every candidate's history until it ends"
            }
        }
        return nil
    }

    /// Throws the first `problem`.
    func validate() throws(CharLSTMError) {
        if let problem { throw CharLSTMError(.settings, problem + "; change that setting") }
    }

    var sampling: SamplingSettings { SamplingSettings(temperature: temperature, topK: topK, topP: topP) }
}
