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

    /// The layout of an embedding → LSTM × layers → linear decoder model, in the order
    /// PyTorch's `state_dict()` lists `nn.Embedding`, `nn.LSTM` and `nn.Linear`.
    /// LSTM gate rows are stacked in PyTorch's order: input (write), forget (keep), cell
    /// candidate (g), output (read) — i, f, g, o.
    public init(_ c: ModelConfiguration) {
        add("embedding.weight", [c.vocabularySize, c.embeddingSize])
        for l in 0..<c.layers {
            let input = l == 0 ? c.embeddingSize : c.hiddenSize
            add("lstm.weight_ih_l\(l)", [4 * c.hiddenSize, input])
            add("lstm.weight_hh_l\(l)", [4 * c.hiddenSize, c.hiddenSize])
            add("lstm.bias_ih_l\(l)", [4 * c.hiddenSize])
            add("lstm.bias_hh_l\(l)", [4 * c.hiddenSize])
        }
        add("decoder.weight", [c.vocabularySize, c.hiddenSize])
        add("decoder.bias", [c.vocabularySize])
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
