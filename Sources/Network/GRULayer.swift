import Kernels

/// One GRU layer (PyTorch's `nn.GRU`) unrolled over T steps of a batch of B streams.
///
/// Per step, with gate blocks r, z, n stacked in W_ih, W_hh, b_ih, b_hh:
///
///     r    = σ(W_ir x + b_ir + W_hr h(t−1) + b_hr)             reset
///     z    = σ(W_iz x + b_iz + W_hz h(t−1) + b_hz)             update
///     n    = tanh(W_in x + b_in + r⊙(W_hn h(t−1) + b_hn))      candidate
///     h(t) = (1 − z)⊙n + z⊙h(t−1)
///
/// b_hn sits inside the reset product, so the n rows of W_hh are multiplied apart from the r
/// and z rows (which add straight into the gate pre-activations) into `hiddenN`; the fused
/// kernels `ck_gru_forward/backward` do the rest. Backward, h(t−1) receives z⊙∂loss/∂h(t)
/// directly besides what flows back through W_hh.
/// Workspace beyond the core's: `hiddenN` T·B·H and a B×H gradient carry.
public final class GRULayer: RecurrentLayer {
    public let core: RecurrentLayerCore
    /// Per step, (T·B)×H: W_hn·h(t−1) + b_hn; in backward, replaced row by row by its gradient.
    private let hiddenN: FloatBuffer
    /// z⊙∂loss/∂h(t) of every stream: the part of ∂loss/∂h(t−1) that bypasses the weights, B×H.
    private let directGradient: FloatBuffer

    init(core: RecurrentLayerCore) {
        precondition(core.cell == .gru)
        self.core = core
        hiddenN = FloatBuffer(count: core.maxSteps * core.batch * core.hiddenSize)
        directGradient = FloatBuffer(count: core.batch * core.hiddenSize)
    }

    public func forward(_ input: LayerInput, steps: Int, parameters p: UnsafePointer<Float>) {
        core.beginForward(input, steps: steps, parameters: p)
        let b = core.batch, h = core.hiddenSize, g3 = core.gateWidth
        let hiddenBiasN = p + core.biasHH + 2 * h
        // The core's bias sum holds b_ir + b_hr, b_iz + b_hz and b_in; b_hn starts `hiddenN`.
        let (core, gates, hiddens, hiddenN, biasSum) = (self.core, core.gates, core.hiddens, self.hiddenN, core.biasSum)
        // Each thread runs the whole time loop for its share of the streams (see LSTMLayer).
        Parallel.forEachRange(b) { streams in
            let first = streams.lowerBound, n = streams.count
            for t in 0..<steps {
                let row0 = t * b + first, previous = hiddens.at(row0 * h)
                for r in 0..<n { hiddenN.at((row0 + r) * h).update(from: hiddenBiasN, count: h) }
                core.addRecurrentProduct(block: 0, streams: n, hidden: previous, into: gates.at(row0 * g3), stride: g3)
                core.addRecurrentProduct(block: 1, streams: n, hidden: previous, into: hiddenN.at(row0 * h), stride: h)
                for r in streams {
                    let row = t * b + r
                    ck_gru_forward(gates.at(row * g3), biasSum.pointer, h, hiddenN.at(row * h), hiddens.at(row * h),
                                   hiddens.at((row + b) * h))
                }
            }
        }
    }

    public func backward(outputGradients dOut: UnsafePointer<Float>, input: LayerInput, parameters p: UnsafePointer<Float>,
                         gradients dp: UnsafeMutablePointer<Float>, embeddingGradient: UnsafeMutablePointer<Float>?,
                         hiddenGradients: UnsafeMutablePointer<Float>?) {
        core.beginBackward(parameters: p)
        let b = core.batch, h = core.hiddenSize, g3 = core.gateWidth, steps = core.steps
        let (core, gates, hiddens, hiddenN) = (self.core, core.gates, core.hiddens, self.hiddenN)
        // The r and z gradients of `gates` are their hidden side's too; n's hidden side is `hiddenN`.
        let hiddenSide = [(UnsafePointer(gates.pointer), stride: g3), (UnsafePointer(hiddenN.pointer), stride: h)]
        let dh = core.hiddenGradient.pointer, direct = directGradient.pointer
        direct.update(repeating: 0, count: b * h)
        Parallel.forEachRange(b) { streams in
            for t in stride(from: steps - 1, through: 0, by: -1) {
                // z(t+1)⊙∂loss/∂h(t+1), left in `direct` by step t+1, is h(t)'s path around the weights.
                core.gatherHiddenGradient(step: t, streams: streams, outputGradients: dOut, direct: direct,
                                          hiddenSide: hiddenSide, report: hiddenGradients)
                for r in streams {
                    let row = t * b + r
                    ck_gru_backward(gates.at(row * g3), h, hiddenN.at(row * h), hiddens.at(row * h), dh + r * h,
                                    gates.at(row * g3), hiddenN.at(row * h), direct + r * h)
                }
            }
        }
        core.endBackward(hiddenSide: hiddenSide, input: input, parameters: p, gradients: dp,
                         embeddingGradient: embeddingGradient)
    }
}
