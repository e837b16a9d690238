import Foundation
import Kernels
import RecurrentNetwork
import Sampling
import Tokenization

/// A model's loss on held-out text computed the way text is written: every stream stepped one
/// character at a time through an `InferenceBatch`, its weights at a `WeightPrecision`. So the
/// loss a reduced precision costs can be measured on the very products sampling runs.
///
/// The text is cut into streams exactly as `Evaluator` cuts it (same streams, same
/// predictions), so the two losses are comparable; in fp32 they agree to rounding.
public final class SteppedEvaluator {
    let streams: TextStreams
    let weights: FusedWeights

    /// - Parameters:
    ///   - tokens: the held-out text, at least 2 characters.
    ///   - batch, window: as `Evaluator`'s (the most streams; fewer when each would have
    ///     fewer than `window` predictions).
    ///   - precision: the weights the products read.
    public init(model: CharModel, tokens: any TokenSequence, batch: Int, window: Int, precision: WeightPrecision) {
        let streamsCount = max(1, min(batch, (tokens.count - 1) / max(window, 1)))
        streams = TextStreams(tokens: tokens, batch: streamsCount)
        weights = FusedWeights(model: model, precision: precision)
    }

    /// Mean cross-entropy in nats per character over every prediction in the streams.
    public func meanLoss() -> Double {
        let k = streams.batch, v = weights.model.configuration.vocabularySize, chunk = 256
        let batch = InferenceBatch(weights: weights, capacity: k)
        var inputs = [Int32](repeating: 0, count: k * chunk), targets = inputs
        var total = 0.0, start = 0
        let predictions = streams.streamLength - 1
        while start < predictions {
            let length = min(chunk, predictions - start)
            inputs.withUnsafeMutableBufferPointer { i in
                targets.withUnsafeMutableBufferPointer { t in
                    streams.fill(start: start, length: length, inputs: i.baseAddress!, targets: t.baseAddress!)
                    for step in 0..<length {
                        batch.step(UnsafeBufferPointer(rebasing: i[step * k ..< (step + 1) * k]))
                        for row in 0..<k { total -= LogProbability.of(t[step * k + row], logits: batch.logits(of: row), count: v) }
                    }
                }
            }
            start += length
        }
        return total / Double(streams.predictionsPerPass)
    }

    /// Characters the loss is averaged over.
    public var predictionCount: Int { streams.predictionsPerPass }
}
