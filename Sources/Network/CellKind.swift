/// The recurrent cells a model can stack, each exactly as its PyTorch module: `nn.LSTM`,
/// `nn.GRU`, and `nn.RNN` with the tanh nonlinearity.
///
/// Each stacks its gate blocks along the rows of W_ih (G·H × I), W_hh (G·H × H), b_ih and b_hh:
///
///     lstm  G = 4, blocks i, f, g, o   c' = f⊙c + i⊙g,  h' = o⊙tanh(c')
///     gru   G = 3, blocks r, z, n      n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)),
///                                      h' = (1 − z)⊙n + z⊙h
///     rnn   G = 1                      h' = tanh(W_ih x + b_ih + W_hh h + b_hh)
public enum CellKind: String, Codable, CaseIterable, Sendable {
    case lstm
    case gru
    case rnn

    /// Gate blocks of H rows in each weight and bias.
    public var gateCount: Int {
        switch self {
        case .lstm: return 4
        case .gru: return 3
        case .rnn: return 1
        }
    }

    /// The PyTorch module name: the prefix of the cell's tensors in a state dict (`lstm.weight_ih_l0`).
    public var prefix: String { rawValue }

    /// The name people write: LSTM, GRU, RNN.
    public var displayName: String { rawValue.uppercased() }

    /// The per-unit states a layer carries from one step to the next, by the short name the
    /// carried state of a checkpoint uses (`h_l0`, `c_l0`): the hidden state first.
    public var stateNames: [String] { self == .lstm ? ["h", "c"] : ["h"] }

    /// What one step computes per unit, for looking inside the model (see `CellQuantity`), in
    /// the order tools list them.
    public var quantities: [CellQuantity] {
        switch self {
        case .lstm: return CellQuantity.lstm
        case .gru: return [.hidden, .reset, .update, .candidate]
        case .rnn: return [.hidden]
        }
    }
}
