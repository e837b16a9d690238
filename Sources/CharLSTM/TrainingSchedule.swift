import Checkpoints

/// How the learning rate moves over a run, as `charlstm train --lr-schedule` chooses.
public enum TrainingSchedule: String, Sendable, CaseIterable, Codable {
    /// The learning rate throughout.
    case constant
    /// The learning rate times `TrainingSettings/learningRateDecay` to the power of the epochs
    /// completed (char-rnn's schedule).
    case epochDecay = "epoch-decay"
    /// A linear warmup over the first 2% of the budget, then half a cosine down to a tenth of
    /// the learning rate, reached exactly when the budget (`TrainingSettings/minutes`,
    /// `steps` or `epochs`, the first to end) ends.
    case cosine

    init(_ schedule: LearningRateSchedule) { self = TrainingSchedule(rawValue: schedule.rawValue)! }

    var schedule: LearningRateSchedule { LearningRateSchedule(rawValue: rawValue)! }
}
