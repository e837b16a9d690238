import Kernels
import RecurrentNetwork

/// How a run was asked to train: the flags of `charlstm train`, as stored in its checkpoints.
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    /// The corpus files and folders as typed (relative to the working directory of the time).
    public var corpus: [String]
    /// Where each of `corpus` was, absolute, with its fingerprint; nil in runs from before it was
    /// recorded (see `CorpusLocator`).
    public var corpusLocations: [CorpusLocation]?
    public var batch: Int
    public var sequenceLength: Int
    public var learningRate: Float
    public var learningRateDecay: Float
    /// nil in runs from before schedules were chosen: those decayed by `learningRateDecay` per
    /// epoch (`effectiveSchedule`).
    public var learningRateSchedule: LearningRateSchedule?
    public var optimizer: OptimizerKind
    /// Decoupled weight decay (`Optimizer.update`); nil in runs from before it: none.
    public var weightDecay: Float?
    /// The size `train` chose for the model, when the flags did not give it all.
    public var chosenSize: ChosenSize?
    public var clip: Float
    public var validationFraction: Double
    public var evaluateEvery: Int
    public var keep: Int
    public var seed: UInt64
    public var threads: Int
    public var maxEpochs: Int?
    public var maxSteps: Int?
    /// Minutes of training time (`TrainingPosition.elapsedSeconds`) from `minutesStartSeconds`:
    /// a resumed run without a new budget trains to the end of the one it was given.
    public var maxMinutes: Double?
    /// The run's training time when `maxMinutes` was given (0 for a new run; a resume that gives
    /// --minutes starts a new budget there). nil in runs from before: their budget was per session.
    public var minutesStartSeconds: Double?
    /// Stop after this many evaluations in a row without a new best validation loss; nil: never.
    public var patience: Int?
    /// Also write a step checkpoint once this many minutes of wall time have passed since the
    /// last one; nil: only at evaluations.
    public var saveEveryMinutes: Double?
    /// Evaluate on the first this many held-out characters; nil: all of them (as runs started
    /// before the cap existed did, so their losses stay comparable on resume).
    public var evaluationCharacters: Int?

    public init(corpus: [String], batch: Int, sequenceLength: Int, learningRate: Float, learningRateDecay: Float,
                optimizer: OptimizerKind, clip: Float, validationFraction: Double, evaluateEvery: Int, keep: Int,
                seed: UInt64, threads: Int, maxEpochs: Int?, maxSteps: Int?, maxMinutes: Double?,
                patience: Int? = nil, saveEveryMinutes: Double? = nil, evaluationCharacters: Int? = nil,
                corpusLocations: [CorpusLocation]? = nil, learningRateSchedule: LearningRateSchedule? = nil,
                minutesStartSeconds: Double? = nil, weightDecay: Float? = nil) {
        self.weightDecay = weightDecay
        self.corpus = corpus
        self.learningRateSchedule = learningRateSchedule
        self.minutesStartSeconds = minutesStartSeconds
        self.corpusLocations = corpusLocations
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
        self.patience = patience
        self.saveEveryMinutes = saveEveryMinutes
        self.evaluationCharacters = evaluationCharacters
    }
}

extension TrainingConfiguration {
    /// The schedule the run follows (runs from before `learningRateSchedule` decayed per epoch).
    public var effectiveSchedule: LearningRateSchedule { learningRateSchedule ?? .epochDecay }

    /// How far through its budget a run is, from 0 to 1: the largest share used of any budget
    /// it has (steps, epochs of `stepsPerEpoch` steps, minutes of training time), so the
    /// schedule ends when the first budget does. `trainingSeconds` is the run's training time.
    public func budgetProgress(step: Int, stepsPerEpoch: Int, trainingSeconds: Double) -> Double {
        var progress = 0.0
        if let maxSteps { progress = max(progress, Double(step) / Double(max(maxSteps, 1))) }
        // In Double: `--epochs` may be as large as Int allows.
        if let maxEpochs { progress = max(progress, Double(step) / max(Double(maxEpochs) * Double(stepsPerEpoch), 1)) }
        if let maxMinutes { progress = max(progress, budgetSeconds(trainingSeconds: trainingSeconds) / (maxMinutes * 60)) }
        return min(progress, 1)
    }

    /// Training seconds spent of the `--minutes` budget, for a run that has trained `trainingSeconds` in all.
    public func budgetSeconds(trainingSeconds: Double) -> Double {
        trainingSeconds - (minutesStartSeconds ?? 0)
    }

    /// The learning rate of the step taken at `progress` through the budget after `epochs` completed passes.
    public func learningRate(progress: Double, epochs: Int) -> Float {
        learningRate * Float(effectiveSchedule.factor(progress: progress, epochs: epochs, decay: learningRateDecay))
    }

    /// The first value no run could have been trained with, as a phrase, or nil when all are usable.
    public var problem: String? {
        if batch < 1 { return "batch \(batch)" }
        if sequenceLength < 1 { return "sequence length \(sequenceLength)" }
        if !(learningRate.isFinite && learningRate > 0) { return "learning rate \(learningRate)" }
        if !(learningRateDecay > 0 && learningRateDecay <= 1) { return "learning-rate decay \(learningRateDecay)" }
        if !(clip.isFinite && clip >= 0) { return "clip \(clip)" }
        if let decay = weightDecay, !(decay.isFinite && decay >= 0 && decay * learningRate < 1) { return "weight decay \(decay)" }
        if !(validationFraction >= 0 && validationFraction <= 0.5) { return "validation fraction \(validationFraction)" }
        if evaluateEvery < 0 { return "eval-every \(evaluateEvery)" }
        if keep < 1 { return "keep \(keep)" }
        if threads < 1 { return "threads \(threads)" }
        if let patience, patience < 1 { return "patience \(patience)" }
        if let minutes = saveEveryMinutes, !(minutes.isFinite && minutes > 0) { return "save-every-minutes \(minutes)" }
        if let start = minutesStartSeconds, !(start.isFinite && start >= 0) { return "minutes start \(start) s" }
        if let characters = evaluationCharacters, characters < 2 { return "eval-chars \(characters)" }
        if let locations = corpusLocations, locations.count != corpus.count {
            return "\(locations.count) corpus locations for \(corpus.count) corpus paths"
        }
        return nil
    }
}

/// The checkpoint a fine-tuned run started from (`train --init-from`), recorded in every
/// checkpoint of the run: the file as it was named, and the SHA-256 of its bytes (what
/// `sha256sum FILE` prints), so the exact parent can be found again.
public struct ParentCheckpoint: Codable, Equatable, Sendable {
    public var file: String
    public var sha256: String
    public init(file: String, sha256: String) {
        self.file = file
        self.sha256 = sha256
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
    /// Passes over the training text completed: the resume cursor, from 0. Outputs show
    /// `epochNumber` instead.
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

extension TrainingPosition {
    /// The epoch as every output shows it (status line, evaluation lines, log.csv, `info`,
    /// `--json`): counted from 1, the pass over the training text that the last step belongs to.
    public var epochNumber: Int { Self.epochNumber(step: step, epoch: epoch, stepInEpoch: stepInEpoch) }

    /// The epoch counted from 1 for a position `stepInEpoch` steps into pass `epoch` (from 0).
    /// At the end of a pass (step in epoch 0 again, after at least one step) it is still the
    /// pass just finished: the evaluation at its end is that epoch's, and `--epochs 3` ends in epoch 3.
    public static func epochNumber(step: Int, epoch: Int, stepInEpoch: Int) -> Int {
        stepInEpoch == 0 && step > 0 ? epoch : epoch + 1
    }

    /// The random generator this position records, or nil when the stored words are not a
    /// valid xoshiro256** state.
    public var randomGenerator: SeededGenerator? {
        let words = randomState.compactMap { UInt64($0, radix: 16) }
        return words.count == randomState.count ? SeededGenerator(state: words) : nil
    }

    /// The first impossible value, as a phrase, or nil when the position can be resumed from.
    public var problem: String? {
        if step < 0 || epoch < 0 || stepInEpoch < 0 { return "step \(step), epoch \(epoch), step in epoch \(stepInEpoch)" }
        if randomGenerator == nil { return "random state \(randomState)" }
        if let best = bestValidationLoss, !best.isFinite { return "best validation loss \(best)" }
        return nil
    }
}
