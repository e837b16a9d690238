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
    public func meanLoss() -> Double { meanLoss(adaptation: nil) }

    /// Dynamic evaluation (Krause et al., 2018): the mean loss of a model that learns from the
    /// text as it reads it. Each window is scored with the weights as they are, and then the
    /// weights take one Adam step of `learningRate` on that window's loss, so every prediction
    /// is made by a model adapted to all the text before it (and none after). It changes the
    /// model's weights: evaluate an `adaptableCopy()`, whose weights are then the adapted ones.
    public func dynamicMeanLoss(learningRate: Float) -> Double {
        meanLoss(adaptation: (Optimizer(kind: .adam, parameterCount: network.model.parameterCount), learningRate,
                              FloatBuffer(count: network.model.parameterCount)))
    }

    /// Adam's default for dynamic evaluation of a model trained with Adam at 2e-3: a tenth of
    /// the training rate moves the weights enough in a few hundred windows, and not so much that
    /// one unusual passage undoes what the model knew.
    public static let defaultAdaptationRate: Float = 2e-4

    private func meanLoss(adaptation: (optimizer: Optimizer, learningRate: Float, gradients: FloatBuffer)?) -> Double {
        network.resetState()
        var total = 0.0
        var start = 0
        let predictions = streams.streamLength - 1
        // A key with the model's dropouts off (see `adaptableCopy`) asks forward for the
        // gradients without drawing any mask.
        let key = adaptation.map { _ in DropoutKey(seed: 0) }
        while start < predictions {
            let length = min(window, predictions - start)
            inputs.withUnsafeMutableBufferPointer { i in
                targets.withUnsafeMutableBufferPointer { t in
                    streams.fill(start: start, length: length, inputs: i.baseAddress!, targets: t.baseAddress!)
                    total += network.forward(inputs: i.baseAddress!, targets: t.baseAddress!, steps: length, dropout: key)
                }
            }
            if let adaptation {
                adaptation.gradients.zero()
                network.backward(gradients: adaptation.gradients)
                clipGradientNorm(adaptation.gradients, maxNorm: 5)
                adaptation.optimizer.update(parameters: network.model.parameters, gradients: adaptation.gradients,
                                            lr: adaptation.learningRate)
            }
            start += length
        }
        return total / Double(streams.predictionsPerPass)
    }

    /// Characters the loss is averaged over.
    public var predictionCount: Int { streams.predictionsPerPass }
}

extension CharModel {
    /// A copy of the model, its weights in a buffer of their own and every training-time dropout
    /// off, for dynamic evaluation and adaptation (`Evaluator.dynamicMeanLoss`) to change
    /// without touching this model or the checkpoint it came from.
    public func adaptableCopy() -> CharModel {
        var c = configuration
        c.dropout = 0
        c.embeddingDropout = 0
        c.weightDrop = 0
        return CharModel(configuration: c, parameters: FloatBuffer(parameters.array))
    }
}
