import Network

/// How a run was asked to train: the flags of `charlstm train`, as stored in its checkpoints.
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    public var corpus: [String]
    public var batch: Int
    public var sequenceLength: Int
    public var learningRate: Float
    public var learningRateDecay: Float
    public var optimizer: OptimizerKind
    public var clip: Float
    public var validationFraction: Double
    public var evaluateEvery: Int
    public var keep: Int
    public var seed: UInt64
    public var threads: Int
    public var maxEpochs: Int?
    public var maxSteps: Int?
    public var maxMinutes: Double?

    public init(corpus: [String], batch: Int, sequenceLength: Int, learningRate: Float, learningRateDecay: Float,
                optimizer: OptimizerKind, clip: Float, validationFraction: Double, evaluateEvery: Int, keep: Int,
                seed: UInt64, threads: Int, maxEpochs: Int?, maxSteps: Int?, maxMinutes: Double?) {
        self.corpus = corpus
        self.batch = batch
        self.sequenceLength = sequenceLength
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.optimizer = optimizer
        self.clip = clip
        self.validationFraction = validationFraction
        self.evaluateEvery = evaluateEvery
        self.keep = keep
        self.seed = seed
        self.threads = threads
        self.maxEpochs = maxEpochs
        self.maxSteps = maxSteps
        self.maxMinutes = maxMinutes
    }
}

/// One evaluation in a run's history.
public struct Evaluation: Codable, Equatable, Sendable {
    public var step: Int
    public var trainLoss: Double
    public var validationLoss: Double
    public init(step: Int, trainLoss: Double, validationLoss: Double) {
        self.step = step
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
    }
}

/// Where a run is: everything beyond the weights that `--resume` needs to continue exactly.
public struct TrainingPosition: Codable, Equatable, Sendable {
    /// Updates taken.
    public var step: Int
    /// Current epoch, from 0.
    public var epoch: Int
    /// Updates taken within the current epoch: the streams' cursor is this × sequence length.
    public var stepInEpoch: Int
    /// The random generator's four state words (hex), for dropout masks.
    public var randomState: [String]
    /// Lowest validation loss so far (nats/char), nil before the first evaluation.
    public var bestValidationLoss: Double?
    public var bestStep: Int?
    /// Wall time spent training so far, seconds.
    public var elapsedSeconds: Double
    /// Smoothed training loss at this point.
    public var smoothedTrainLoss: Double?
    public var history: [Evaluation]

    public init(step: Int, epoch: Int, stepInEpoch: Int, randomState: [String], bestValidationLoss: Double?,
                bestStep: Int?, elapsedSeconds: Double, smoothedTrainLoss: Double?, history: [Evaluation]) {
        self.step = step
        self.epoch = epoch
        self.stepInEpoch = stepInEpoch
        self.randomState = randomState
        self.bestValidationLoss = bestValidationLoss
        self.bestStep = bestStep
        self.elapsedSeconds = elapsedSeconds
        self.smoothedTrainLoss = smoothedTrainLoss
        self.history = history
    }
}
