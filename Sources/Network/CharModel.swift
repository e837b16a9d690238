import Kernels

/// A character model: embedding → stacked recurrent layers (LSTM, GRU or RNN) → linear
/// decoder, with all parameters in one flat buffer described by `layout` (PyTorch's
/// state-dict names and shapes).
public final class CharModel {
    public let configuration: ModelConfiguration
    public let layout: ParameterLayout
    public let parameters: FloatBuffer

    /// A model with the given parameters (as restored from a checkpoint).
    public init(configuration: ModelConfiguration, parameters: FloatBuffer) {
        self.configuration = configuration
        layout = ParameterLayout(configuration)
        precondition(parameters.count == layout.totalCount, "parameter count does not match the layout")
        self.parameters = parameters
    }

    /// A freshly initialised model with PyTorch's default initialisation, so both start from
    /// the same distribution: `nn.Embedding` standard normal; `nn.LSTM` (`nn.GRU`, `nn.RNN`)
    /// every weight and bias uniform in ±1/√H; `nn.Linear` weight and bias uniform in ±1/√(fan-in) = ±1/√H.
    public convenience init(configuration c: ModelConfiguration, seed: UInt64) {
        let layout = ParameterLayout(c)
        let parameters = FloatBuffer(count: layout.totalCount)
        var rng = SeededGenerator(seed: seed)
        let bound = 1 / Float(c.hiddenSize).squareRoot()
        for t in layout.tensors {
            for k in 0..<t.count {
                parameters[t.offset + k] = t.name == "embedding.weight"
                    ? rng.nextGaussian() : (2 * rng.nextUnitFloat() - 1) * bound
            }
        }
        self.init(configuration: c, parameters: parameters)
    }

    public var parameterCount: Int { layout.totalCount }
}
