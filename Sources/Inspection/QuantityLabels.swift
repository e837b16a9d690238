import RecurrentNetwork

extension CellQuantity {
    /// How a page names it: the notes' names with PyTorch's letters beside them.
    public var label: String {
        switch self {
        case .hidden: return "hidden state h"
        case .cell: return "cell state c"
        case .keep: return "keep gate (PyTorch f)"
        case .write: return "write gate (PyTorch i)"
        case .read: return "read gate (PyTorch o)"
        case .reset: return "reset gate (PyTorch r)"
        case .update: return "update gate (PyTorch z)"
        case .candidate: return "candidate (PyTorch n)"
        }
    }

    /// The short name in charts' legends: "keep (f)".
    public var shortLabel: String { "\(rawValue) (\(pytorchName))" }
}
