/// How a training run ended.
public struct TrainingResult: Sendable, Equatable {
    /// Why it stopped.
    public let reason: TrainingStopReason
    /// The step it stopped at.
    public let step: Int
    /// The epoch it stopped in, counted from 1.
    public let epoch: Int
    /// The lowest validation loss of the run, in nats per character.
    public let bestValidationLoss: Double?
    /// The run folder.
    public let runFolder: String
    /// The newest checkpoint written (nil when nothing was trained).
    public let lastCheckpoint: String?
}

/// Why a training run stopped.
public enum TrainingStopReason: Sendable, Equatable {
    /// The epochs, steps or minutes of its settings were used up.
    case budgetReached
    /// It was cancelled; its progress was saved first.
    case cancelled
    /// `patience` evaluations in a row brought no new best validation loss.
    case noImprovement(evaluations: Int)
    /// The loss or the gradient became NaN or infinite; the message says where and what to
    /// try. (Only a ``TrainingEvent/finished(_:)`` event carries it: `run` then throws.)
    case diverged(String)
}
