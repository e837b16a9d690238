import Kernels

/// What a layer reads at each of its T·B rows.
public enum LayerInput {
    /// A dense (T·B)×In matrix: the layer below's output.
    case dense(UnsafePointer<Float>)
    /// Character indices (T·B of them) into the embedding table `embedding` (V×In).
    /// Projecting the V table rows once, instead of the T·B looked-up rows, is the same
    /// arithmetic with V/(T·B) of the work, and so is the backward: the gate gradients are
    /// summed per character before the two weight products.
    case tokens(UnsafePointer<Int32>, embedding: UnsafePointer<Float>, vocabulary: Int)
}

/// One recurrent layer unrolled over T steps of a batch of B streams, in PyTorch's layout:
/// what `UnrolledNetwork` stacks. Inputs and outputs are time-major (row t·B + b is step t of
/// stream b). The shared machinery lives in `core`; a cell's layer (`LSTMLayer`, `GRULayer`,
/// `RNNLayer`) supplies the time loops with its elementwise step.
public protocol RecurrentLayer: AnyObject {
    var core: RecurrentLayerCore { get }

    /// Runs `steps` time steps over `input`, starting from the state in slot 0.
    func forward(_ input: LayerInput, steps: Int, parameters: UnsafePointer<Float>)

    /// Backpropagates `outputGradients`, (steps·B)×H = ∂loss/∂h(1…T) from the layer above,
    /// through the last forward pass, adding (+=) this layer's weight and bias gradients into
    /// `gradients` (see `RecurrentLayerCore.endBackward` for the input's gradient). When
    /// `hiddenGradients` is given, it receives ∂loss/∂h(t) for every step, (steps·B)×H: the sum
    /// of what the layer above and step t+1 send back.
    func backward(outputGradients: UnsafePointer<Float>, input: LayerInput, parameters: UnsafePointer<Float>,
                  gradients: UnsafeMutablePointer<Float>, embeddingGradient: UnsafeMutablePointer<Float>?,
                  hiddenGradients: UnsafeMutablePointer<Float>?)
}

extension RecurrentLayer {
    public var inputSize: Int { core.inputSize }
    public var hiddenSize: Int { core.hiddenSize }
    public var batch: Int { core.batch }
    /// Steps in the most recent forward pass.
    public var steps: Int { core.steps }
    /// h(t) for t = 0…T; slot 0 is the state carried in.
    public var hiddens: FloatBuffer { core.hiddens }
    /// The layer's outputs h(1…T), (T·B)×H, contiguous.
    public var outputs: UnsafeMutablePointer<Float> { core.outputs }
    /// ∂loss/∂input after a backward with `.dense` input, (T·B)×In.
    public var inputGradients: FloatBuffer { core.inputGradients }
    public func resetState() { core.resetState() }
    public func carryState() { core.carryState() }

    /// `backward` without the per-step hidden gradients.
    public func backward(outputGradients: UnsafePointer<Float>, input: LayerInput, parameters: UnsafePointer<Float>,
                         gradients: UnsafeMutablePointer<Float>, embeddingGradient: UnsafeMutablePointer<Float>? = nil) {
        backward(outputGradients: outputGradients, input: input, parameters: parameters, gradients: gradients,
                 embeddingGradient: embeddingGradient, hiddenGradients: nil)
    }
}

extension CellKind {
    /// A layer of this cell: layer `layerIndex` of a model with `layout`.
    public func makeLayer(inputSize: Int, hiddenSize: Int, batch: Int, maxSteps: Int, layerIndex: Int,
                          layout: ParameterLayout, packedWeights: FloatBuffer? = nil) -> any RecurrentLayer {
        let core = RecurrentLayerCore(cell: self, inputSize: inputSize, hiddenSize: hiddenSize, batch: batch,
                                      maxSteps: maxSteps, layerIndex: layerIndex, layout: layout,
                                      packedWeights: packedWeights)
        switch self {
        case .lstm: return LSTMLayer(core: core)
        case .gru: return GRULayer(core: core)
        case .rnn: return RNNLayer(core: core)
        }
    }
}
