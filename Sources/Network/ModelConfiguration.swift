/// The architecture of a model: everything needed to rebuild it from a checkpoint.
public struct ModelConfiguration: Codable, Equatable, Sendable {
    /// Number of characters: rows of the embedding and of the decoder.
    public var vocabularySize: Int
    /// Width of each character's embedding vector.
    public var embeddingSize: Int
    /// Units per recurrent layer.
    public var hiddenSize: Int
    /// Number of stacked recurrent layers (≥ 1).
    public var layers: Int
    /// Probability of zeroing each recurrent layer's output during training (0 = off).
    public var dropout: Float
    /// The recurrent cell every layer uses.
    public var cell: CellKind

    public init(vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, layers: Int, dropout: Float = 0,
                cell: CellKind = .lstm) {
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.dropout = dropout
        self.cell = cell
    }

    /// The first problem with these numbers, as a sentence, or nil when they are usable.
    public var problem: String? {
        if vocabularySize < 1 { return "the vocabulary is empty" }
        if layers < 1 || layers > 64 { return "--layers must be between 1 and 64 (got \(layers))" }
        if hiddenSize < 1 || hiddenSize > 16384 { return "--hidden must be between 1 and 16384 (got \(hiddenSize))" }
        if embeddingSize < 1 || embeddingSize > 16384 {
            return "--embedding must be between 1 and 16384 (got \(embeddingSize))"
        }
        if !(dropout >= 0 && dropout < 1) { return "--dropout must be in [0, 1) (got \(dropout))" }
        return nil
    }
}
