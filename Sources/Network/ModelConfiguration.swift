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
    /// Whether `dropout` and `embeddingDropout` draw one mask per stream for a whole window
    /// (variational dropout, Gal & Ghahramani 2016) rather than a new one at every step. nil in
    /// models from before the choice existed: per step.
    public var dropoutMask: DropoutMask?
    /// Probability of zeroing each unit of the characters' embeddings during training (0 = off).
    public var embeddingDropout: Float
    /// Probability of zeroing each recurrent weight (W_hh) for a training step: DropConnect, as
    /// AWD-LSTM's weight drop (0 = off).
    public var weightDrop: Float

    public init(vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, layers: Int, dropout: Float = 0,
                cell: CellKind = .lstm, dropoutMask: DropoutMask? = nil, embeddingDropout: Float = 0, weightDrop: Float = 0) {
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.dropout = dropout
        self.cell = cell
        self.dropoutMask = dropoutMask
        self.embeddingDropout = embeddingDropout
        self.weightDrop = weightDrop
    }

    /// The masks dropout draws (`dropoutMask`, per step when unrecorded).
    public var effectiveDropoutMask: DropoutMask { dropoutMask ?? .step }

    /// The training-time regularisation as a phrase, for `info` and the start line: "dropout 0.25
    /// per sequence, embedding dropout 0.1, weight drop 0.2"; "no dropout" when there is none.
    public var regularisationSummary: String {
        var parts = [String]()
        if dropout > 0 { parts.append("dropout \(dropout) per \(effectiveDropoutMask.rawValue)") }
        if embeddingDropout > 0 { parts.append("embedding dropout \(embeddingDropout)") }
        if weightDrop > 0 { parts.append("weight drop \(weightDrop)") }
        return parts.isEmpty ? "no dropout" : parts.joined(separator: ", ")
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
        if !(embeddingDropout >= 0 && embeddingDropout < 1) {
            return "--embedding-dropout must be in [0, 1) (got \(embeddingDropout))"
        }
        if !(weightDrop >= 0 && weightDrop < 1) { return "--weight-drop must be in [0, 1) (got \(weightDrop))" }
        return nil
    }
}

/// Which units a dropout mask covers (`train --dropout-mask`).
public enum DropoutMask: String, Codable, CaseIterable, Sendable {
    /// A new mask at every time step (what `nn.LSTM`'s `dropout` does).
    case step
    /// One mask per stream for the whole window: the same units are dropped at every step, so
    /// the noise cannot average out over time (variational dropout).
    case sequence
}
