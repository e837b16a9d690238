/// What a training run reports, in order: the notes of setting it up, ``started(_:)`` once,
/// then ``progress(_:)``, ``evaluated(_:sample:)`` and any ``note(_:)`` as they happen, and
/// ``finished(_:)`` last.
public enum TrainingEvent: Sendable, Equatable {
    /// The run is set up and about to take its first step.
    case started(TrainingStart)
    /// Something worth telling: what the token cache did, characters added to the vocabulary.
    case note(String)
    /// A few times a second while training.
    case progress(TrainingProgress)
    /// After each evaluation (and its checkpoint), with a short text the model wrote then.
    case evaluated(TrainingProgress, sample: String)
    /// The run has ended; nothing follows.
    case finished(TrainingResult)
}
