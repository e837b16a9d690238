import Kernels

/// One LSTM layer (PyTorch's `nn.LSTM`) unrolled over T steps of a batch of B streams.
///
/// Per step (DESIGN.md's notation; PyTorch's names in brackets):
///
///     G      = x·W_ihᵀ + b_ih + h(t−1)·W_hhᵀ + b_hh        (B×4H, gate blocks i, f, g, o)
///     I, K, O = σ(G_i), σ(G_f), σ(G_o)                    write [i], keep [f], read [o]
///     C      = tanh(G_g)                                  candidate [g]
///     c(t)   = K⊙c(t−1) + I⊙C
///     h(t)   = O⊙tanh(c(t))
///
/// The core projects the input before the time loop and forms the weight gradients after the
/// backward sweep; here are the time loops with the fused kernels `ck_lstm_forward/backward`.
/// Workspace beyond the core's: the cell states c(0…T) (the core's second state, `cells`) and
/// a B×H cell-gradient carry.
public final class LSTMLayer: RecurrentLayer {
    public let core: RecurrentLayerCore
    /// ∂loss/∂c(t) of every stream at the step the backward sweep is at, B×H.
    private let cellGradient: FloatBuffer

    init(core: RecurrentLayerCore) {
        precondition(core.cell == .lstm)
        self.core = core
        cellGradient = FloatBuffer(count: core.batch * core.hiddenSize)
    }

    /// c(t) for t = 0…T; slot 0 is the cell state carried in.
    public var cells: FloatBuffer { core.states[1] }

    public func forward(_ input: LayerInput, steps: Int, parameters p: UnsafePointer<Float>) {
        core.beginForward(input, steps: steps, parameters: p)
        let b = core.batch, h = core.hiddenSize, g4 = core.gateWidth
        let (core, gates, cells, hiddens, biasSum) = (self.core, core.gates, self.cells, core.hiddens, core.biasSum)
        // The streams are independent through time, so each thread runs the whole time loop
        // for its share of them: one synchronisation per layer, not one per step.
        Parallel.forEachRange(b) { streams in
            let first = streams.lowerBound
            for t in 0..<steps {
                let row0 = t * b + first
                core.addRecurrentProduct(block: 0, streams: streams.count, hidden: hiddens.at(row0 * h),
                                         into: gates.at(row0 * g4), stride: g4)
                for r in streams {
                    let row = t * b + r
                    ck_lstm_forward(gates.at(row * g4), biasSum.pointer, h, cells.at(row * h), cells.at((row + b) * h),
                                    nil, hiddens.at((row + b) * h))
                }
            }
        }
    }

    public func backward(outputGradients dOut: UnsafePointer<Float>, input: LayerInput, parameters p: UnsafePointer<Float>,
                         gradients dp: UnsafeMutablePointer<Float>, embeddingGradient: UnsafeMutablePointer<Float>?,
                         hiddenGradients: UnsafeMutablePointer<Float>?) {
        core.beginBackward(parameters: p)
        let b = core.batch, h = core.hiddenSize, g4 = core.gateWidth, steps = core.steps
        let (core, gates, cells) = (self.core, core.gates, self.cells)
        // The gates are overwritten in place, row by row, by their gradients as the sweep goes back.
        let hiddenSide = [(UnsafePointer(gates.pointer), stride: g4)]
        let dh = core.hiddenGradient.pointer, dc = cellGradient.pointer
        dc.update(repeating: 0, count: b * h)
        Parallel.forEachRange(b) { streams in
            for t in stride(from: steps - 1, through: 0, by: -1) {
                core.gatherHiddenGradient(step: t, streams: streams, outputGradients: dOut, direct: nil,
                                          hiddenSide: hiddenSide, report: hiddenGradients)
                for r in streams {
                    let row = t * b + r
                    ck_lstm_backward(gates.at(row * g4), h, cells.at(row * h), cells.at((row + b) * h), dh + r * h,
                                     dc + r * h, gates.at(row * g4))
                }
            }
        }
        core.endBackward(hiddenSide: hiddenSide, input: input, parameters: p, gradients: dp,
                         embeddingGradient: embeddingGradient)
    }
}
