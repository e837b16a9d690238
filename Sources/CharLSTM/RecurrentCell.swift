import RecurrentNetwork

/// The recurrent cell of a model's layers, as PyTorch names its modules.
public enum RecurrentCell: String, Sendable, CaseIterable, Codable {
    /// Long short-term memory (`nn.LSTM`): a memory cell and keep, write and read gates.
    case lstm
    /// Gated recurrent unit (`nn.GRU`).
    case gru
    /// Plain tanh RNN (`nn.RNN`).
    case rnn

    init(_ kind: CellKind) { self = RecurrentCell(rawValue: kind.rawValue)! }

    var kind: CellKind { CellKind(rawValue: rawValue)! }
}
