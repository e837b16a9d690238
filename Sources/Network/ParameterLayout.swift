/// The ordered table of every tensor a model has, by its PyTorch state-dict name and shape.
///
/// All tensors live back to back in one flat Float buffer. The gradient buffer and each
/// optimizer moment use the same table, and the checkpoint writer walks it to name tensors,
/// so a tensor's offset is defined in exactly one place.
public struct ParameterLayout: Equatable, Sendable {
    public struct Tensor: Equatable, Sendable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    public private(set) var tensors: [Tensor] = []
    public private(set) var totalCount = 0

    /// The layout of an embedding → recurrent cell × layers → linear decoder model, in the
    /// order PyTorch's `state_dict()` lists `nn.Embedding`, `nn.LSTM` (or `nn.GRU`, `nn.RNN`)
    /// and `nn.Linear`. Gate rows are stacked in PyTorch's order (see `CellKind`): for the LSTM
    /// input (write), forget (keep), cell candidate (g), output (read) — i, f, g, o.
    public init(_ c: ModelConfiguration) {
        add("embedding.weight", [c.vocabularySize, c.embeddingSize])
        let rows = c.cell.gateCount * c.hiddenSize
        for l in 0..<c.layers {
            let input = l == 0 ? c.embeddingSize : c.hiddenSize
            add(Self.name(.weightIH, layer: l, cell: c.cell), [rows, input])
            add(Self.name(.weightHH, layer: l, cell: c.cell), [rows, c.hiddenSize])
            add(Self.name(.biasIH, layer: l, cell: c.cell), [rows])
            add(Self.name(.biasHH, layer: l, cell: c.cell), [rows])
        }
        add("decoder.weight", [c.vocabularySize, c.hiddenSize])
        add("decoder.bias", [c.vocabularySize])
    }

    /// The four tensors of each recurrent layer, by PyTorch's suffix.
    public enum RecurrentTensor: String, Sendable {
        case weightIH = "weight_ih"
        case weightHH = "weight_hh"
        case biasIH = "bias_ih"
        case biasHH = "bias_hh"
    }

    /// PyTorch's state-dict name of a recurrent tensor: `gru.weight_hh_l1`.
    public static func name(_ tensor: RecurrentTensor, layer: Int, cell: CellKind) -> String {
        "\(cell.prefix).\(tensor.rawValue)_l\(layer)"
    }

    private mutating func add(_ name: String, _ shape: [Int]) {
        let t = Tensor(name: name, shape: shape, offset: totalCount)
        tensors.append(t)
        totalCount += t.count
    }

    /// The tensor called `name`; traps if there is none, since names come from this table.
    public func tensor(_ name: String) -> Tensor {
        guard let t = tensors.first(where: { $0.name == name }) else {
            preconditionFailure("no tensor named \(name)")
        }
        return t
    }

    public func offset(_ name: String) -> Int { tensor(name).offset }
}
