import RecurrentNetwork

/// Beam search: the most likely continuation under the model's own probabilities.
///
/// It keeps the `width` most likely texts (beams) at every length: each step extends every
/// beam by every character, scores each extension by its summed log-probability (log-softmax
/// of the raw logits: temperature, top-k and top-p do not apply), and keeps the `width` best.
/// A beam that ends with a stop string is finished: it keeps its score and its place among the
/// candidates without growing. The result is the best beam once it is finished (no unfinished
/// beam can then overtake it, since extending only lowers a score) or once the texts have
/// `length` characters. Width 1 is greedy decoding (ties go to the lower vocabulary index, as
/// in `Sampler.argmax`).
///
/// Each beam's recurrent state lives in a snapshot; the 2 × width snapshots and the
/// back-pointers of every step are allocated once per search, nothing per character.
public struct BeamSearch {
    public let width: Int

    public init(width: Int) {
        precondition(width >= 1)
        self.width = width
    }

    /// What a search found: the characters after the prompt and their log-probability.
    public struct Result {
        public let tokens: [Int32]
        public let logProbability: Double
        /// Whether the text ends with a stop string (else it has the full length, or the search was stopped).
        public let reachedStop: Bool
    }

    /// Searches from `generator`'s current state (after its prompt) for up to `length`
    /// characters, honouring its stop strings. `step` is called after each character position
    /// and ends the search early (with the best beam so far) when it returns false. The
    /// generator's state is left wherever the search left it: reset it before using it again.
    public func run(on generator: TextGenerator, length: Int, step: () -> Bool = { true }) -> Result {
        let state = generator.state, stops = generator.stops
        let v = generator.vocabulary.count, k = width
        generator.preparePrediction()
        var current = (0..<k).map { _ in state.snapshot() }
        var next = (0..<k).map { _ in state.snapshot() }
        var scores = [Double](repeating: 0, count: k), nextScores = scores
        var finished = [Bool](repeating: false, count: k), nextFinished = finished
        var live = 1
        // Step t's candidate i came from beam parents[t·k + i] by adding tokens[t·k + i]
        // (−1 for a finished beam carried over unchanged).
        var parents = [Int32](repeating: 0, count: max(length, 0) * k)
        var tokens = [Int32](repeating: -1, count: max(length, 0) * k)
        var candidates = Shortlist(capacity: k)
        // A beam's last characters, newest first, and then its whole end (text before the search
        // included) as stop strings are matched against it.
        var recent = [Unicode.Scalar](repeating: " ", count: max(stops.longest, 1))
        let end = TextTail(capacity: max(stops.longest, 1))
        var steps = 0

        while steps < length, !finished[0] {
            candidates.clear()
            for b in 0..<live {
                if finished[b] { candidates.offer(scores[b], parent: b, token: -1); continue }
                let logits = current[b].logits
                let base = scores[b] - LogProbability.normalizer(logits, count: v)
                for j in 0..<v { candidates.offer(base + Double(logits[j]), parent: b, token: Int32(j)) }
            }
            for i in 0..<candidates.count {
                let (score, parent, token) = candidates.entries[i]
                parents[steps * k + i] = parent
                tokens[steps * k + i] = token
                nextScores[i] = score
                if token < 0 {
                    next[i].copy(from: current[Int(parent)])
                    nextFinished[i] = true
                    continue
                }
                state.restore(current[Int(parent)])
                state.step(token)
                state.save(into: next[i])
                guard !stops.isEmpty else { nextFinished[i] = false; continue }
                var known = 0, t = steps, slot = i
                while known < stops.longest && t >= 0 {
                    recent[known] = generator.vocabulary.scalars[Int(tokens[t * k + slot])]
                    slot = Int(parents[t * k + slot])
                    known += 1
                    t -= 1
                }
                end.clear()
                for before in stride(from: stops.longest - known - 1, through: 0, by: -1) {
                    if let s = generator.tail.scalar(fromEnd: before) { end.append(s) }
                }
                for r in stride(from: known - 1, through: 0, by: -1) { end.append(recent[r]) }
                nextFinished[i] = stops.matchEnd(of: end)
            }
            swap(&current, &next)
            swap(&scores, &nextScores)
            swap(&finished, &nextFinished)
            live = candidates.count
            steps += 1
            if !step() { break }
        }

        var text = [Int32]()
        text.reserveCapacity(steps)
        var slot = 0
        for t in stride(from: steps - 1, through: 0, by: -1) {
            if tokens[t * k + slot] >= 0 { text.append(tokens[t * k + slot]) }
            slot = Int(parents[t * k + slot])
        }
        return Result(tokens: text.reversed(), logProbability: scores[0], reachedStop: finished[0])
    }
}

/// The best candidates of one beam-search step, best first, in a fixed array: a new candidate
/// goes after those with an equal score, so ties keep the order they were offered in.
private struct Shortlist {
    private(set) var entries: [(score: Double, parent: Int32, token: Int32)]
    private(set) var count = 0

    init(capacity: Int) { entries = Array(repeating: (0, 0, -1), count: capacity) }

    mutating func clear() { count = 0 }

    mutating func offer(_ score: Double, parent: Int, token: Int32) {
        let capacity = entries.count
        guard count < capacity || score > entries[capacity - 1].score else { return }
        var i = min(count, capacity - 1)
        while i > 0 && entries[i - 1].score < score {
            entries[i] = entries[i - 1]
            i -= 1
        }
        entries[i] = (score, Int32(parent), token)
        count = min(count + 1, capacity)
    }
}
