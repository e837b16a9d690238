import Kernels

/// One plain RNN layer (PyTorch's `nn.RNN`, nonlinearity tanh) unrolled over T steps of a
/// batch of B streams:
///
///     h(t) = tanh(W_ih x + b_ih + W_hh h(t−1) + b_hh)
///
/// The pre-activations live in the core's gates (H per row); in backward they are replaced by
/// their gradients. The core's workspace is all it needs.
public final class RNNLayer: RecurrentLayer {
    public let core: RecurrentLayerCore

    init(core: RecurrentLayerCore) {
        precondition(core.cell == .rnn)
        self.core = core
    }

    public func forward(_ input: LayerInput, steps: Int, parameters p: UnsafePointer<Float>) {
        core.beginForward(input, steps: steps, parameters: p)
        let b = core.batch, h = core.hiddenSize
        let (core, gates, hiddens, biasSum) = (self.core, core.gates, core.hiddens, core.biasSum)
        // Each thread runs the whole time loop for its share of the streams (see LSTMLayer).
        Parallel.forEachRange(b) { streams in
            let first = streams.lowerBound
            for t in 0..<steps {
                let row0 = t * b + first
                core.addRecurrentProduct(block: 0, streams: streams.count, hidden: hiddens.at(row0 * h),
                                         into: gates.at(row0 * h), stride: h)
                for r in streams {
                    let row = t * b + r
                    ck_rnn_forward(gates.at(row * h), biasSum.pointer, h, hiddens.at((row + b) * h))
                }
            }
        }
    }

    public func backward(outputGradients dOut: UnsafePointer<Float>, input: LayerInput, parameters p: UnsafePointer<Float>,
                         gradients dp: UnsafeMutablePointer<Float>, embeddingGradient: UnsafeMutablePointer<Float>?,
                         hiddenGradients: UnsafeMutablePointer<Float>?) {
        core.beginBackward(parameters: p)
        let b = core.batch, h = core.hiddenSize, steps = core.steps
        let (core, gates, hiddens) = (self.core, core.gates, core.hiddens)
        let hiddenSide = [(UnsafePointer(gates.pointer), stride: h)]
        let dh = core.hiddenGradient.pointer
        Parallel.forEachRange(b) { streams in
            for t in stride(from: steps - 1, through: 0, by: -1) {
                core.gatherHiddenGradient(step: t, streams: streams, outputGradients: dOut, direct: nil,
                                          hiddenSide: hiddenSide, report: hiddenGradients)
                for r in streams {
                    let row = t * b + r
                    ck_rnn_backward(hiddens.at((row + b) * h), h, dh + r * h, gates.at(row * h))
                }
            }
        }
        core.endBackward(hiddenSide: hiddenSide, input: input, parameters: p, gradients: dp,
                         embeddingGradient: embeddingGradient)
    }
}
