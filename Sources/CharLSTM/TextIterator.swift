import Sampling

/// Text a model writes, one piece at a time, computed as it is asked for on the calling
/// thread: a `Sequence` of strings for a `for` loop, from
/// ``TextModel/text(prompt:settings:measuringLogProbability:shouldStop:)``.
///
/// Sampling hands out one character per piece, as soon as it is drawn. A beam search finds
/// the whole text before anything is certain, so it hands out one piece: all of it.
///
/// An iterator holds one recurrent state; it is not `Sendable`. Use one per task, or give
/// each task its own (a ``TextModel`` is shared freely).
public final class TextIterator: IteratorProtocol, Sequence {
    /// The settings it writes with.
    public let settings: GenerationSettings
    /// The seed of the random stream: `settings.seed`, or the fresh one drawn when that is nil.
    public var seed: UInt64 { generator.seed }
    /// Why the text ended, once it has (nil while it goes on).
    public private(set) var finishReason: FinishReason?
    /// Characters written since the prompt.
    public private(set) var count = 0
    /// With `measuringLogProbability`: the model's own log-probability, in nats, of the
    /// characters written so far given the prompt (log-softmax of the raw scores: temperature,
    /// top-k and top-p do not change it). 0 otherwise.
    public var logProbability: Double { beamLogProbability ?? generator.logProbability }

    private let generator: TextGenerator
    private let prompt: [Int32]
    private let shouldStop: () -> Bool
    private var beamLogProbability: Double?

    init(model: TextModel, prompt: [Int32], settings: GenerationSettings, measuringLogProbability: Bool,
         shouldStop: @escaping () -> Bool) {
        self.settings = settings
        self.prompt = prompt
        self.shouldStop = shouldStop
        generator = model.loaded.generator(settings: settings.sampling, seed: settings.seed ?? Self.freshSeed())
        generator.stops = StopStrings(settings.stop)
        generator.measuresLogProbability = measuringLogProbability
        restart()
    }

    /// A seed for when none is given: different every time (and reported in `seed`).
    static func freshSeed() -> UInt64 { UInt64.random(in: 0...UInt64(Int64.max)) }

    /// Starts a new text from the prompt, from a fresh state. The random stream goes on where
    /// it was, so with the same seed a second text differs from the first (as
    /// `charlstm generate --count` does).
    public func restart() {
        generator.reset()
        generator.feed(prompt)
        finishReason = nil
        count = 0
        beamLogProbability = nil
    }

    /// The next piece of text, or nil once the text has ended (see ``finishReason``).
    public func next() -> String? {
        guard finishReason == nil else { return nil }
        if let width = settings.beamWidth { return searchBeam(width: width) }
        guard count < settings.length else { return finish(.length) }
        guard !isStopped else { return finish(.cancelled) }
        let token = generator.next()
        count += 1
        if generator.endsWithStop { finishReason = .stop }
        return String(generator.vocabulary.scalars[Int(token)])
    }

    /// Whether the caller or the task asked to stop.
    private var isStopped: Bool { shouldStop() || Task.isCancelled }

    private func finish(_ reason: FinishReason) -> String? {
        finishReason = reason
        return nil
    }

    /// The whole text of a beam search, as one piece (nil when it is empty).
    private func searchBeam(width: Int) -> String? {
        var stopped = false
        let found = BeamSearch(width: width).run(on: generator, length: settings.length) {
            stopped = isStopped
            return !stopped
        }
        count = found.tokens.count
        beamLogProbability = found.logProbability
        finishReason = found.reachedStop ? .stop : stopped ? .cancelled : .length
        guard !found.tokens.isEmpty else { return nil }
        return generator.vocabulary.decode(found.tokens)
    }
}
