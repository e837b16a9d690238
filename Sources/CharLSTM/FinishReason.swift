/// Why a text ended.
public enum FinishReason: Sendable, Equatable {
    /// It has the full `GenerationSettings/length`.
    case length
    /// It ends with one of the stop strings.
    case stop
    /// It was cancelled: the task was cancelled, or the `shouldStop` closure said so.
    case cancelled
}
