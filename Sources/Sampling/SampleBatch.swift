import Kernels
import RecurrentNetwork
import Tokenization

/// Several texts written from one prompt at once, one character each per `next`: `generate
/// --count K`. The texts' states are the rows of one `InferenceBatch`, so each character costs
/// one pass over the weights for all of them (a K-row product instead of K one-row ones),
/// and each text draws with its own `CharacterDrawer`, as a `TextGenerator` does.
///
/// Text i is the text a `TextGenerator` alone writes with seed `seeds[i]`: it reads the same
/// prompt, draws in the same order and ends at the same stop string. At bf16 and int8 it is
/// that text character for character (a row's products do not depend on the other rows); in
/// fp32, BLAS's K-row product can round differently in the last bits from its one-row one,
/// which changes a character only where a draw falls within a rounding of a boundary (rare;
/// then the texts part from there).
public final class SampleBatch {
    /// One per text, in the order of `seeds`.
    public let drawers: [CharacterDrawer]
    let states: InferenceBatch
    /// Row r of `states` belongs to text `texts[r]`; texts that ended have left.
    private var texts: [Int]
    private var tokens: [Int32]
    /// When set, every step is timed by it and runs on the thread count it finds fastest (the
    /// texts do not depend on it).
    public var threadTuner: ThreadTuner?

    public init(weights: FusedWeights, vocabulary: Vocabulary, settings: SamplingSettings, seeds: [UInt64]) {
        precondition(!seeds.isEmpty && weights.model.configuration.vocabularySize == vocabulary.count)
        drawers = seeds.map { CharacterDrawer(vocabulary: vocabulary, settings: settings, seed: $0) }
        states = InferenceBatch(weights: weights, capacity: seeds.count)
        texts = Array(seeds.indices)
        tokens = [Int32](repeating: 0, count: seeds.count)
    }

    /// Texts still being written.
    public var activeCount: Int { texts.count }

    /// Every text reads `prompt` from a fresh state (as `TextGenerator.feed` does; an empty
    /// prompt starts as if after a line break, or, without one in the vocabulary, from flat scores).
    public func feed(_ prompt: [Int32]) {
        let vocabulary = drawers[0].vocabulary
        let start = prompt.isEmpty ? vocabulary.index(of: "\n").map { [$0] } ?? [] : prompt
        for row in texts.indices { states.resetRow(row) }
        for (t, token) in start.enumerated() {
            for row in texts.indices { tokens[row] = token }
            step(computeLogits: t == start.count - 1)
        }
        if start.isEmpty { zeroLogits() }
        for text in texts { drawers[text].read(prompt) }
    }

    /// Draws the next character of every text still going and hands it to `body` with the
    /// text's index; a text whose character ends a stop string, or for which `body` returns
    /// false, leaves. The others then read what they drew.
    public func next(_ body: (_ text: Int, _ character: Unicode.Scalar) -> Bool) {
        var row = 0
        while row < texts.count {
            let drawer = drawers[texts[row]]
            let token = drawer.draw(from: states.logits(of: row))
            if body(texts[row], drawer.vocabulary.scalars[Int(token)]) && !drawer.endsWithStop {
                tokens[row] = token
                row += 1
            } else {
                let last = texts.count - 1
                states.moveRow(last, to: row)
                texts[row] = texts[last]
                tokens[row] = tokens[last]
                texts.removeLast()
            }
        }
        step(computeLogits: true)
    }

    private func step(computeLogits: Bool) {
        if let threads = threadTuner?.current { states.threads = threads }
        threadTuner?.stepStarting()
        tokens.withUnsafeBufferPointer { states.step(UnsafeBufferPointer(rebasing: $0[0..<texts.count]), computeLogits: computeLogits) }
        threadTuner?.stepFinished()
    }

    private func zeroLogits() {
        let v = drawers[0].vocabulary.count
        for row in texts.indices { UnsafeMutablePointer(mutating: states.logits(of: row)).update(repeating: 0, count: v) }
    }
}
