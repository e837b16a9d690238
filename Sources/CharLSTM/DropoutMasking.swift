import RecurrentNetwork

/// Which units dropout removes over a window of training text.
public enum DropoutMasking: String, Sendable, CaseIterable, Codable {
    /// A new mask at every time step, as `nn.LSTM`'s `dropout` does.
    case step
    /// One mask per stream for the whole window (variational dropout): the same units are
    /// dropped at every step, so the noise cannot average out over time.
    case sequence

    init(_ mask: DropoutMask) { self = DropoutMasking(rawValue: mask.rawValue)! }

    var mask: DropoutMask { DropoutMask(rawValue: rawValue)! }
}
