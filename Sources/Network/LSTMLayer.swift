import Kernels

/// One LSTM layer unrolled over T steps of a batch of B streams, in PyTorch's layout.
///
/// Per step (DESIGN.md's notation; PyTorch's names in brackets):
///
///     G      = x·W_ihᵀ + b_ih + h(t−1)·W_hhᵀ + b_hh        (B×4H, gate blocks i, f, g, o)
///     I, K, O = σ(G_i), σ(G_f), σ(G_o)                    write [i], keep [f], read [o]
///     C      = tanh(G_g)                                  candidate [g]
///     c(t)   = K⊙c(t−1) + I⊙C
///     h(t)   = O⊙tanh(c(t))
///
/// The input projection of all T·B rows is one GEMM before the time loop; only h·W_hhᵀ
/// stays inside it. Backward runs the loop in reverse and then forms each weight gradient
/// as one GEMM over all T·B rows.
///
/// Workspace (floats): gates 4·T·B·H, cells and hiddens 2·(T+1)·B·H, tanh(c) T·B·H,
/// gate gradients 4·T·B·H, input gradient T·B·In, two B×H carries, and the 4H bias sum.
public final class LSTMLayer {
    public let inputSize: Int
    public let hiddenSize: Int
    public let batch: Int
    public let maxSteps: Int

    /// Offsets of this layer's tensors in the model's flat parameter buffer.
    let weightIH: Int, weightHH: Int, biasIH: Int, biasHH: Int

    /// Activated gates per step, (T·B)×4H; overwritten in backward by pre-activation gradients.
    let gates: FloatBuffer
    /// c(t) and h(t) for t = 0…T; slot 0 is the state carried in from the previous batch.
    public let cells: FloatBuffer
    public let hiddens: FloatBuffer
    /// tanh(c(t)) for t = 1…T, kept for backward.
    let tanhCells: FloatBuffer
    /// ∂loss/∂pre-activation gates, (T·B)×4H.
    let gateGradients: FloatBuffer
    /// ∂loss/∂input, (T·B)×In: what the layer below receives.
    public let inputGradients: FloatBuffer
    let hiddenCarry: FloatBuffer, cellCarry: FloatBuffer
    let biasSum: FloatBuffer
    /// Steps in the most recent forward pass.
    public private(set) var steps = 0

    public init(inputSize: Int, hiddenSize: Int, batch: Int, maxSteps: Int, layerIndex l: Int, layout: ParameterLayout) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.batch = batch
        self.maxSteps = maxSteps
        weightIH = layout.offset("lstm.weight_ih_l\(l)")
        weightHH = layout.offset("lstm.weight_hh_l\(l)")
        biasIH = layout.offset("lstm.bias_ih_l\(l)")
        biasHH = layout.offset("lstm.bias_hh_l\(l)")
        let rows = maxSteps * batch, h = hiddenSize
        gates = FloatBuffer(count: rows * 4 * h)
        cells = FloatBuffer(count: (maxSteps + 1) * batch * h)
        hiddens = FloatBuffer(count: (maxSteps + 1) * batch * h)
        tanhCells = FloatBuffer(count: rows * h)
        gateGradients = FloatBuffer(count: rows * 4 * h)
        inputGradients = FloatBuffer(count: rows * inputSize)
        hiddenCarry = FloatBuffer(count: batch * h)
        cellCarry = FloatBuffer(count: batch * h)
        biasSum = FloatBuffer(count: 4 * h)
    }

    /// The layer's outputs h(1…T), (T·B)×H, contiguous.
    public var outputs: UnsafeMutablePointer<Float> { hiddens.at(batch * hiddenSize) }

    /// Zeroes the carried state (start of an epoch, or a fresh sample).
    public func resetState() {
        cells.pointer.update(repeating: 0, count: batch * hiddenSize)
        hiddens.pointer.update(repeating: 0, count: batch * hiddenSize)
        steps = 0
    }

    /// Moves the final state of the last forward pass into slot 0, detached from its history:
    /// truncated BPTT carries the values but never backpropagates into the previous batch.
    public func carryState() {
        guard steps > 0 else { return }
        let n = batch * hiddenSize
        cells.pointer.update(from: cells.at(steps * n), count: n)
        hiddens.pointer.update(from: hiddens.at(steps * n), count: n)
    }

    /// Runs `steps` time steps over `input`, (steps·B)×In, time-major, starting from slot 0.
    public func forward(input: UnsafePointer<Float>, steps: Int, parameters p: UnsafePointer<Float>) {
        precondition(steps >= 1 && steps <= maxSteps)
        self.steps = steps
        let b = batch, h = hiddenSize, g4 = 4 * h
        for j in 0..<g4 { biasSum[j] = p[biasIH + j] + p[biasHH + j] }
        BLAS.gemm(transposeB: true, m: steps * b, n: g4, k: inputSize,
                  input, lda: inputSize, p + weightIH, ldb: inputSize, gates.pointer, ldc: g4)
        for t in 0..<steps {
            let g = gates.at(t * b * g4)
            BLAS.gemm(transposeB: true, m: b, n: g4, k: h,
                      hiddens.at(t * b * h), lda: h, p + weightHH, ldb: h, beta: 1, g, ldc: g4)
            for r in 0..<b {
                LSTMLayer.gateForward(gates: g + r * g4, bias: biasSum.pointer, hidden: h,
                                      previousCell: cells.at((t * b + r) * h),
                                      cell: cells.at(((t + 1) * b + r) * h),
                                      tanhCell: tanhCells.at((t * b + r) * h),
                                      output: hiddens.at(((t + 1) * b + r) * h))
            }
        }
    }

    /// The fused elementwise part of one step for one stream: activates the four gate blocks
    /// in place, then forms c(t), tanh(c(t)) and h(t).
    @inline(__always)
    static func gateForward(gates g: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, hidden h: Int,
                            previousCell: UnsafePointer<Float>, cell: UnsafeMutablePointer<Float>,
                            tanhCell: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
        var j = 0
        while j < h {
            let i = vsigmoid(loadLanes(g, j, count: h) + loadLanes(bias, j, count: h))
            let f = vsigmoid(loadLanes(g + h, j, count: h) + loadLanes(bias + h, j, count: h))
            let c̃ = vtanh(loadLanes(g + 2 * h, j, count: h) + loadLanes(bias + 2 * h, j, count: h))
            let o = vsigmoid(loadLanes(g + 3 * h, j, count: h) + loadLanes(bias + 3 * h, j, count: h))
            let c = f * loadLanes(previousCell, j, count: h) + i * c̃
            let tc = vtanh(c)
            storeLanes(i, g, j, count: h)
            storeLanes(f, g + h, j, count: h)
            storeLanes(c̃, g + 2 * h, j, count: h)
            storeLanes(o, g + 3 * h, j, count: h)
            storeLanes(c, cell, j, count: h)
            storeLanes(tc, tanhCell, j, count: h)
            storeLanes(o * tc, output, j, count: h)
            j += 16
        }
    }

    /// Backpropagates `outputGradients`, (steps·B)×H = ∂loss/∂h(1…T), through the last forward
    /// pass: accumulates (+=) this layer's weight and bias gradients into `gradients` and leaves
    /// ∂loss/∂input in `inputGradients` when `needInputGradients`.
    public func backward(outputGradients dOut: UnsafePointer<Float>, input: UnsafePointer<Float>,
                         parameters p: UnsafePointer<Float>, gradients dp: UnsafeMutablePointer<Float>,
                         needInputGradients: Bool = true) {
        let b = batch, h = hiddenSize, g4 = 4 * h, steps = self.steps
        let dh = hiddenCarry.pointer, dc = cellCarry.pointer
        dc.update(repeating: 0, count: b * h)
        for t in stride(from: steps - 1, through: 0, by: -1) {
            // ∂loss/∂h(t) = the output's own gradient + what step t+1 sends back through W_hh.
            if t == steps - 1 {
                dh.update(from: dOut + t * b * h, count: b * h)
            } else {
                dh.update(from: dOut + t * b * h, count: b * h)
                BLAS.gemm(m: b, n: h, k: g4, gateGradients.at((t + 1) * b * g4), lda: g4,
                          p + weightHH, ldb: h, beta: 1, dh, ldc: h)
            }
            for r in 0..<b {
                LSTMLayer.gateBackward(gates: gates.at((t * b + r) * g4), hidden: h,
                                       previousCell: cells.at((t * b + r) * h),
                                       tanhCell: tanhCells.at((t * b + r) * h),
                                       hiddenGradient: dh + r * h, cellGradient: dc + r * h,
                                       gateGradients: gateGradients.at((t * b + r) * g4))
            }
        }
        let rows = steps * b
        // dW_hh += dGᵀ·h(0…T−1); dW_ih += dGᵀ·x; both biases += Σ rows of dG.
        BLAS.gemm(transposeA: true, m: g4, n: h, k: rows, gateGradients.pointer, lda: g4,
                  hiddens.pointer, ldb: h, beta: 1, dp + weightHH, ldc: h)
        BLAS.gemm(transposeA: true, m: g4, n: inputSize, k: rows, gateGradients.pointer, lda: g4,
                  input, ldb: inputSize, beta: 1, dp + weightIH, ldc: inputSize)
        columnSums(gateGradients.pointer, rows: rows, columns: g4, addingTo: dp + biasIH)
        columnSums(gateGradients.pointer, rows: rows, columns: g4, addingTo: dp + biasHH)
        if needInputGradients {
            BLAS.gemm(m: rows, n: inputSize, k: g4, gateGradients.pointer, lda: g4,
                      p + weightIH, ldb: inputSize, inputGradients.pointer, ldc: inputSize)
        }
    }

    /// One step of the fused backward for one stream. On entry `cellGradient` holds
    /// ∂loss/∂c(t) from step t+1; on exit ∂loss/∂c(t−1), ready for step t−1.
    @inline(__always)
    static func gateBackward(gates g: UnsafePointer<Float>, hidden h: Int, previousCell: UnsafePointer<Float>,
                             tanhCell: UnsafePointer<Float>, hiddenGradient: UnsafePointer<Float>,
                             cellGradient: UnsafeMutablePointer<Float>,
                             gateGradients dg: UnsafeMutablePointer<Float>) {
        var j = 0
        while j < h {
            let i = loadLanes(g, j, count: h), f = loadLanes(g + h, j, count: h)
            let c̃ = loadLanes(g + 2 * h, j, count: h), o = loadLanes(g + 3 * h, j, count: h)
            let tc = loadLanes(tanhCell, j, count: h)
            let dh = loadLanes(hiddenGradient, j, count: h)
            let dc = loadLanes(cellGradient, j, count: h) + dh * o * (1 - tc * tc)
            let di = dc * c̃, df = dc * loadLanes(previousCell, j, count: h)
            let dc̃ = dc * i, d_o = dh * tc
            storeLanes(di * i * (1 - i), dg, j, count: h)
            storeLanes(df * f * (1 - f), dg + h, j, count: h)
            storeLanes(dc̃ * (1 - c̃ * c̃), dg + 2 * h, j, count: h)
            storeLanes(d_o * o * (1 - o), dg + 3 * h, j, count: h)
            storeLanes(dc * f, cellGradient, j, count: h)
            j += 16
        }
    }
}

/// out[j] += Σ_r m[r, j] for a rows×columns row-major matrix.
@inline(__always)
func columnSums(_ m: UnsafePointer<Float>, rows: Int, columns: Int, addingTo out: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let row = m + r * columns
        var j = 0
        while j < columns {
            storeLanes(loadLanes(out, j, count: columns) + loadLanes(row, j, count: columns), out, j, count: columns)
            j += 16
        }
    }
}
