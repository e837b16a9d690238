import Kernels
import RecurrentNetwork
import Tokenization

/// Measures a model's loss on held-out text: the text is cut into parallel streams (for
/// speed), each run from a fresh state to its end in windows with the state carried, so every
/// prediction sees all the context before it in its stream.
public final class Evaluator {
    let streams: TextStreams
    let network: UnrolledNetwork
    let window: Int
    private var inputs: [Int32], targets: [Int32]

    /// - Parameters:
    ///   - tokens: the held-out text, at least 2 characters.
    ///   - batch: the most streams to use; fewer when the text is short, so each stream has
    ///     at least `window` predictions.
    ///   - sharing: a network of this model to run on instead of allocating one, used when its
    ///     batch equals the stream count. The trainer lends its own, so evaluation costs no
    ///     extra memory; evaluating overwrites the network's state, which the trainer restores
    ///     from its own copy before every step anyway.
    ///   - window: characters per stream run in one pass, at most; fewer when the buffers of
    ///     `window` × streams characters would exceed `TrainingMemory.activationBudget`. (The
    ///     state is carried from window to window, so the loss does not depend on it.)
    public init(model: CharModel, tokens: any TokenSequence, batch: Int, window requestedWindow: Int, sharing: UnrolledNetwork? = nil) {
        let streamsCount = max(1, min(batch, (tokens.count - 1) / max(requestedWindow, 1)))
        let perStream = TrainingMemory.activationBytesPerRow(model: model.configuration) * Double(streamsCount)
        let window = max(1, min(requestedWindow, Int(min(TrainingMemory.activationBudget / perStream, 1e9))))
        streams = TextStreams(tokens: tokens, batch: streamsCount)
        self.window = window
        if let sharing, sharing.model === model, sharing.batch == streamsCount, sharing.maxSteps >= window {
            network = sharing
        } else {
            network = UnrolledNetwork(model: model, batch: streamsCount, maxSteps: window)
        }
        inputs = [Int32](repeating: 0, count: streamsCount * window)
        targets = inputs
    }

    /// Mean cross-entropy in nats per character over every prediction in the streams.
    public func meanLoss() -> Double {
        network.resetState()
        var rng = SeededGenerator(seed: 0)  // unused: evaluation never drops out
        var total = 0.0
        var start = 0
        let predictions = streams.streamLength - 1
        while start < predictions {
            let length = min(window, predictions - start)
            inputs.withUnsafeMutableBufferPointer { i in
                targets.withUnsafeMutableBufferPointer { t in
                    streams.fill(start: start, length: length, inputs: i.baseAddress!, targets: t.baseAddress!)
                    total += network.forward(inputs: i.baseAddress!, targets: t.baseAddress!, steps: length,
                                             training: false, rng: &rng)
                }
            }
            start += length
        }
        return total / Double(streams.predictionsPerPass)
    }

    /// Characters the loss is averaged over.
    public var predictionCount: Int { streams.predictionsPerPass }
}
