import Kernels

/// A character model: embedding → stacked LSTM → linear decoder, with all parameters in one
/// flat buffer described by `layout` (PyTorch's state-dict names and shapes).
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

    /// A freshly initialised model: PyTorch's defaults for `nn.LSTM` (every weight and bias
    /// uniform in ±1/√H), and PyTorch's word_language_model example for the ends (embedding
    /// and decoder weights uniform in ±0.1, decoder bias zero).
    public convenience init(configuration c: ModelConfiguration, seed: UInt64) {
        let layout = ParameterLayout(c)
        let parameters = FloatBuffer(count: layout.totalCount)
        var rng = SeededGenerator(seed: seed)
        let lstmBound = 1 / Float(c.hiddenSize).squareRoot()
        for t in layout.tensors {
            let bound: Float = t.name.hasPrefix("lstm.") ? lstmBound : (t.name == "decoder.bias" ? 0 : 0.1)
            for k in 0..<t.count { parameters[t.offset + k] = (2 * rng.nextUnitFloat() - 1) * bound }
        }
        self.init(configuration: c, parameters: parameters)
    }

    public var parameterCount: Int { layout.totalCount }
}
