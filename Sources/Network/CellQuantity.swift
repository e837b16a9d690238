/// A per-unit quantity a recurrent cell computes at each step, which `InferenceState.quantity`
/// exposes after the step for looking inside the model (`charlstm inspect`).
///
/// The LSTM's gates go by the project notes' names — keep, write, read — with PyTorch's
/// letters beside them (f, i, o); the GRU's by PyTorch's reset, update and candidate (r, z, n).
public enum CellQuantity: String, CaseIterable, Sendable {
    /// h(t): the state handed to the next step and layer (S(t) in the notes).
    case hidden
    /// c(t): the LSTM's memory cell.
    case cell
    /// K(t), PyTorch's forget gate f.
    case keep
    /// I(t), PyTorch's input gate i.
    case write
    /// O(t), PyTorch's output gate o.
    case read
    /// The GRU's reset gate r.
    case reset
    /// The GRU's update gate z.
    case update
    /// The GRU's candidate state n.
    case candidate

    /// The quantities an LSTM has, in the order tools list them.
    public static let lstm: [CellQuantity] = [.hidden, .cell, .keep, .write, .read]

    /// PyTorch's letter for it: h, c, f, i, o, r, z, n.
    public var pytorchName: String {
        switch self {
        case .hidden: return "h"
        case .cell: return "c"
        case .keep: return "f"
        case .write: return "i"
        case .read: return "o"
        case .reset: return "r"
        case .update: return "z"
        case .candidate: return "n"
        }
    }

    /// Whether it is a logistic gate, with values in (0, 1).
    public var isGate: Bool {
        switch self {
        case .keep, .write, .read, .reset, .update: return true
        case .hidden, .cell, .candidate: return false
        }
    }
}
