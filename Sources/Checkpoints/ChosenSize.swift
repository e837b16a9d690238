/// The model size `train` chose because none was given (`ModelSizing`), recorded with the run
/// so `info` can say why a model is the size it is.
public struct ChosenSize: Codable, Equatable, Sendable {
    public var layers: Int
    public var hidden: Int
    public var embedding: Int
    public var dropout: Float
    /// Training characters the corpus held, and characters the budget was expected to train on.
    public var trainingCharacters: Int
    public var budgetCharacters: Double
    /// The training speed the choice assumed (chars/s), when the budget was in minutes.
    public var assumedCharsPerSecond: Double?

    public init(layers: Int, hidden: Int, embedding: Int, dropout: Float, trainingCharacters: Int,
                budgetCharacters: Double, assumedCharsPerSecond: Double?) {
        self.layers = layers
        self.hidden = hidden
        self.embedding = embedding
        self.dropout = dropout
        self.trainingCharacters = trainingCharacters
        self.budgetCharacters = budgetCharacters
        self.assumedCharsPerSecond = assumedCharsPerSecond
    }

    /// Passes over the training text the budget was expected to make.
    public var epochs: Double { budgetCharacters / Double(max(trainingCharacters, 1)) }
}
