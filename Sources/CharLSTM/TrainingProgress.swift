import Training

/// Where a training run is, as it goes.
public struct TrainingProgress: Sendable, Equatable {
    /// Updates taken since the run began (a resumed run counts on from its checkpoint).
    public let step: Int
    /// The epoch, counted from 1: the pass over the training text the last step belongs to.
    public let epoch: Int
    /// Updates per pass over the corpus.
    public let stepsPerEpoch: Int
    /// The training loss, smoothed over recent steps, in nats per character.
    public let trainingLoss: Double
    /// The loss on the held-out text at the latest evaluation, in nats per character.
    public let validationLoss: Double?
    /// The lowest validation loss of the run so far.
    public let bestValidationLoss: Double?
    /// Characters trained on per second, recently.
    public let charactersPerSecond: Double
    /// Seconds of training in the run so far, sessions before a resume included.
    public let elapsedSeconds: Double
    /// Seconds left in the budget, when it allows an estimate.
    public let remainingSeconds: Double?
    /// The learning rate of the current epoch.
    public let learningRate: Float

    init(_ s: TrainingStatus) {
        step = s.step
        epoch = s.epochNumber
        stepsPerEpoch = s.stepsPerEpoch
        trainingLoss = s.smoothedLoss
        validationLoss = s.lastValidationLoss
        bestValidationLoss = s.bestValidationLoss
        charactersPerSecond = s.charsPerSecond
        elapsedSeconds = s.elapsed
        remainingSeconds = s.remaining
        learningRate = s.learningRate
    }
}
