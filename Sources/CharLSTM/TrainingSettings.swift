import Checkpoints
import Foundation
import RecurrentNetwork
import Training

/// How to train: the options of `charlstm train`, as one value, with the same defaults.
///
/// The architecture (`cell` to `weightDrop`) shapes a new run only: fine-tuning and resuming
/// take it from the checkpoint. Unlike `charlstm train`, which sizes a model from the corpus
/// and the budget when no size is given, the library trains the size these settings name.
public struct TrainingSettings: Sendable, Equatable, Codable {
    /// The recurrent cell of every layer.
    public var cell: RecurrentCell = .lstm
    /// Stacked recurrent layers.
    public var layers = 2
    /// Units per recurrent layer.
    public var hiddenSize = 128
    /// Width of each character's embedding.
    public var embeddingSize = 64
    /// Dropout after each recurrent layer while training, in [0, 1).
    public var dropout: Float = 0
    /// Whether `dropout` and `embeddingDropout` draw a mask per step or per sequence.
    public var dropoutMasking: DropoutMasking = .sequence
    /// Dropout on the character embeddings while training, in [0, 1).
    public var embeddingDropout: Float = 0
    /// DropConnect on the recurrent weights while training (AWD-LSTM's weight drop), in [0, 1).
    public var weightDrop: Float = 0

    /// Parallel streams per step.
    public var batch = 50
    /// Characters per stream per step: the length of truncated backpropagation through time.
    public var sequenceLength = 50
    /// The optimizer's learning rate.
    public var learningRate: Float = 2e-3
    /// How the learning rate moves over the run.
    public var schedule: TrainingSchedule = .cosine
    /// With ``TrainingSchedule/epochDecay``, the learning rate is multiplied by this after
    /// every epoch, in (0, 1] (1: no decay).
    public var learningRateDecay: Float = 1
    /// Decoupled weight decay, as AdamW: each step multiplies the weights by
    /// 1 − learning rate × this before the update (0: none).
    public var weightDecay: Float = 0
    /// The optimizer.
    public var optimizer: TrainingOptimizer = .adam
    /// Gradients are clipped to this global L2 norm; 0 disables clipping.
    public var clip: Float = 5
    /// Fraction of the corpus held out (its end) to measure the validation loss on, in [0, 0.5].
    public var validationFraction = 0.1
    /// Evaluate, sample and checkpoint every this many steps (0: only at the end).
    public var evaluateEvery = 500
    /// Step checkpoints retained besides `best.safetensors`.
    public var keep = 5
    /// Seed for initialisation and dropout: the same settings and corpus give the same model.
    public var seed: UInt64 = 1
    /// Threads for matrix multiplies (nil: all cores).
    public var threads: Int?

    /// When to stop: the first of these that is reached (all nil: never, until cancelled).
    public var epochs: Int? = 10
    /// Stop once the run has taken this many steps in total.
    public var steps: Int?
    /// Stop after this many minutes of training in total: a resumed run with the same value
    /// finishes the budget it had (where a cosine schedule ends); a changed value counts anew.
    public var minutes: Double?
    /// Stop after this many evaluations in a row that bring no new best validation loss.
    public var patience: Int?
    /// Also write a step checkpoint every this many minutes of wall time, between evaluations.
    public var saveEveryMinutes: Double?
    /// Evaluate on the first this many held-out characters only (nil: all of them).
    public var evaluationCharacters: Int? = TrainingSetup.defaultEvaluationCharacters

    /// The defaults of `charlstm train`.
    public init() {}

    /// The settings a checkpoint stores, with its architecture.
    init(model m: ModelConfiguration, training t: TrainingConfiguration) {
        cell = RecurrentCell(m.cell)
        layers = m.layers
        hiddenSize = m.hiddenSize
        embeddingSize = m.embeddingSize
        dropout = m.dropout
        dropoutMasking = DropoutMasking(m.effectiveDropoutMask)
        embeddingDropout = m.embeddingDropout
        weightDrop = m.weightDrop
        schedule = TrainingSchedule(t.effectiveSchedule)
        weightDecay = t.weightDecay ?? 0
        batch = t.batch
        sequenceLength = t.sequenceLength
        learningRate = t.learningRate
        learningRateDecay = t.learningRateDecay
        optimizer = TrainingOptimizer(rawValue: t.optimizer.rawValue)!
        clip = t.clip
        validationFraction = t.validationFraction
        evaluateEvery = t.evaluateEvery
        keep = t.keep
        seed = t.seed
        threads = t.threads
        epochs = t.maxEpochs
        steps = t.maxSteps
        minutes = t.maxMinutes
        patience = t.patience
        saveEveryMinutes = t.saveEveryMinutes
        evaluationCharacters = t.evaluationCharacters
    }

    /// The first setting out of range, as a phrase naming it, or nil.
    public var problem: String? {
        if layers < 1 || layers > 64 { return "layers must be from 1 to 64, got \(layers)" }
        if hiddenSize < 1 || hiddenSize > 16384 { return "hidden size must be from 1 to 16384, got \(hiddenSize)" }
        if embeddingSize < 1 || embeddingSize > 16384 { return "embedding size must be from 1 to 16384, got \(embeddingSize)" }
        if !(dropout >= 0 && dropout < 1) { return "dropout must be in [0, 1), got \(dropout)" }
        if !(embeddingDropout >= 0 && embeddingDropout < 1) { return "embedding dropout must be in [0, 1), got \(embeddingDropout)" }
        if !(weightDrop >= 0 && weightDrop < 1) { return "weight drop must be in [0, 1), got \(weightDrop)" }
        if let epochs, epochs < 1 { return "epochs must be at least 1, got \(epochs)" }
        if let steps, steps < 1 { return "steps must be at least 1, got \(steps)" }
        if let minutes, !(minutes.isFinite && minutes > 0) { return "minutes must be a positive number, got \(minutes)" }
        if let problem = configuration(corpus: []).problem { return problem + " is out of range" }
        return nil
    }

    /// The first setting that a resumed run takes from its checkpoint which `other` changes,
    /// as "batch 50 → 20", or nil.
    func unchangeableOnResume(changedIn other: TrainingSettings) -> String? {
        func changed<T: Equatable>(_ name: String, _ key: KeyPath<TrainingSettings, T>) -> String? {
            self[keyPath: key] == other[keyPath: key] ? nil : "\(name) \(self[keyPath: key]) → \(other[keyPath: key])"
        }
        let checks: [() -> String?] = [
            { changed("cell", \.cell) }, { changed("layers", \.layers) }, { changed("hidden size", \.hiddenSize) },
            { changed("embedding size", \.embeddingSize) }, { changed("dropout", \.dropout) },
            { changed("dropout masking", \.dropoutMasking) }, { changed("embedding dropout", \.embeddingDropout) },
            { changed("weight drop", \.weightDrop) }, { changed("batch", \.batch) },
            { changed("sequence length", \.sequenceLength) }, { changed("optimizer", \.optimizer) },
            { changed("seed", \.seed) }, { changed("validation fraction", \.validationFraction) },
            { changed("evaluation characters", \.evaluationCharacters) },
        ]
        return checks.lazy.compactMap { $0() }.first
    }

    func validate() throws(CharLSTMError) {
        if let problem { throw CharLSTMError(.settings, problem + "; change that setting") }
    }

    /// The training half, as checkpoints store it, for a corpus of these paths (and where
    /// each was, for a later resume to find it).
    func configuration(corpus: [String], locations: [CorpusLocation]? = nil) -> TrainingConfiguration {
        TrainingConfiguration(
            corpus: corpus, batch: batch, sequenceLength: sequenceLength, learningRate: learningRate,
            learningRateDecay: learningRateDecay, optimizer: optimizer.kind, clip: clip,
            validationFraction: validationFraction, evaluateEvery: evaluateEvery, keep: keep, seed: seed,
            threads: threads ?? ProcessInfo.processInfo.activeProcessorCount,
            maxEpochs: epochs, maxSteps: steps, maxMinutes: minutes, patience: patience,
            saveEveryMinutes: saveEveryMinutes, evaluationCharacters: evaluationCharacters, corpusLocations: locations,
            learningRateSchedule: schedule.schedule, minutesStartSeconds: 0, weightDecay: weightDecay)
    }

    /// The architecture half, for a vocabulary of `vocabularySize` characters.
    func model(vocabularySize: Int) -> ModelConfiguration {
        ModelConfiguration(vocabularySize: vocabularySize, embeddingSize: embeddingSize, hiddenSize: hiddenSize,
                           layers: layers, dropout: dropout, cell: cell.kind, dropoutMask: dropoutMasking.mask,
                           embeddingDropout: embeddingDropout, weightDrop: weightDrop)
    }
}

/// The optimizer a run updates its weights with.
public enum TrainingOptimizer: String, Sendable, CaseIterable, Codable {
    /// Adam (β1 0.9, β2 0.999, ε 1e-8), bias-corrected, as `torch.optim.Adam`.
    case adam
    /// RMSprop (α 0.99, ε 1e-8), as `torch.optim.RMSprop`.
    case rmsprop
    /// Plain stochastic gradient descent.
    case sgd

    var kind: OptimizerKind { OptimizerKind(rawValue: rawValue)! }
}
