import Training

/// Hands a trainer's reports on as events; notes from setting up wait until the run starts,
/// so a run that cannot start reports nothing but its error.
final class EventReporter: TrainingReporter {
    let send: (TrainingEvent) -> Void
    private var pendingNotes: [String]? = []

    init(send: @escaping (TrainingEvent) -> Void) { self.send = send }

    func progress(_ status: TrainingStatus) { send(.progress(TrainingProgress(status))) }
    func evaluated(_ status: TrainingStatus, sample: String) { send(.evaluated(TrainingProgress(status), sample: sample)) }
    func note(_ message: String) {
        if pendingNotes != nil { pendingNotes!.append(message) } else { send(.note(message)) }
    }
    func flushNotes() {
        let notes = pendingNotes ?? []
        pendingNotes = nil
        notes.forEach { send(.note($0)) }
    }
}
