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
/// The input projection of all T·B rows is one GEMM before the time loop; only h·W_hhᵀ stays
/// inside it, done by `ck_gemm_packed_accumulate` on each thread's share of the streams.
/// Backward runs the loop in reverse and then forms each weight gradient as one GEMM over all
/// T·B rows.
///
/// Workspace (floats): gates 4·T·B·H (overwritten in place by their gradients in backward),
/// cells and hiddens 2·(T+1)·B·H, two B×H carries, the packed W_hh (shared by the layers of a
/// network), and — allocated on the first backward only, so evaluation never pays for it —
/// the input gradient T·B·In.
public final class LSTMLayer {
    public let inputSize: Int
    public let hiddenSize: Int
    public let batch: Int
    public let maxSteps: Int

    /// Offsets of this layer's tensors in the model's flat parameter buffer.
    let weightIH: Int, weightHH: Int, biasIH: Int, biasHH: Int

    /// Activated gates per step, (T·B)×4H; in backward, replaced row by row by ∂loss/∂pre-activation.
    let gates: FloatBuffer
    /// c(t) and h(t) for t = 0…T; slot 0 is the state carried in from the previous batch.
    public let cells: FloatBuffer
    public let hiddens: FloatBuffer
    /// ∂loss/∂input, (T·B)×In: what the layer below receives.
    public private(set) lazy var inputGradients = FloatBuffer(count: maxSteps * batch * inputSize)
    /// For `.tokens` input: the projected table x·W_ihᵀ (V×4H) in forward, then the gate
    /// gradients summed per character in backward.
    private var tokenTable: FloatBuffer?
    let hiddenCarry: FloatBuffer, cellCarry: FloatBuffer
    let biasSum: FloatBuffer
    /// W_hh packed for the recurrent products (see `ck_pack`): as W_hhᵀ (H×4H) for the forward
    /// h·W_hhᵀ, and as W_hh (4H×H) for the backward dG·W_hh. Packed at the start of each pass;
    /// the layers of a network run one at a time, so they share one buffer.
    let packedWeights: FloatBuffer

    /// Floats the packed W_hh of a layer with `hiddenSize` units needs, either way round.
    public static func packedCount(hiddenSize h: Int) -> Int {
        max(ck_packed_count(h, 4 * h), ck_packed_count(4 * h, h))
    }
    /// Steps in the most recent forward pass.
    public private(set) var steps = 0

    public init(inputSize: Int, hiddenSize: Int, batch: Int, maxSteps: Int, layerIndex l: Int, layout: ParameterLayout,
                packedWeights: FloatBuffer? = nil) {
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
        hiddenCarry = FloatBuffer(count: batch * h)
        cellCarry = FloatBuffer(count: batch * h)
        biasSum = FloatBuffer(count: 4 * h)
        self.packedWeights = packedWeights ?? FloatBuffer(count: Self.packedCount(hiddenSize: h))
        precondition(self.packedWeights.count >= Self.packedCount(hiddenSize: h))
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

    /// Runs `steps` time steps over `input` (time-major rows), starting from slot 0.
    public func forward(_ input: LayerInput, steps: Int, parameters p: UnsafePointer<Float>) {
        precondition(steps >= 1 && steps <= maxSteps)
        self.steps = steps
        let b = batch, h = hiddenSize, g4 = 4 * h
        for j in 0..<g4 { biasSum[j] = p[biasIH + j] + p[biasHH + j] }
        let (gates, cells, hiddens, biasSum) = (self.gates, self.cells, self.hiddens, self.biasSum)
        let packed = packedWeights.pointer
        ck_pack(p + weightHH, 1, h, h, g4, packed)
        let inputSize = self.inputSize
        switch input {
        case .dense(let x):
            Parallel.forEachRange(steps * b, grain: 16) { rows in
                BLAS.gemm(transposeB: true, m: rows.count, n: g4, k: inputSize, x + rows.lowerBound * inputSize,
                          lda: inputSize, p + weightIH, ldb: inputSize, gates.at(rows.lowerBound * g4), ldc: g4)
            }
        case .tokens(let tokens, let embedding, let v):
            let table = tokenTableBuffer(vocabulary: v)
            BLAS.gemm(transposeB: true, m: v, n: g4, k: inputSize, embedding, lda: inputSize,
                      p + weightIH, ldb: inputSize, table.pointer, ldc: g4)
            Parallel.forEachRange(steps * b, grain: 16) { rows in
                for r in rows { gates.at(r * g4).update(from: table.at(Int(tokens[r]) * g4), count: g4) }
            }
        }
        // The streams are independent through time, so each thread runs the whole time loop
        // for its share of them: one synchronisation per layer, not one per step.
        Parallel.forEachRange(b) { streams in
            let first = streams.lowerBound
            for t in 0..<steps {
                let g = gates.at((t * b + first) * g4)
                ck_gemm_packed_accumulate(streams.count, g4, h, hiddens.at((t * b + first) * h), h, packed, g, g4)
                for r in streams {
                    LSTMLayer.gateForward(gates: gates.at((t * b + r) * g4), bias: biasSum.pointer, hidden: h,
                                          previousCell: cells.at((t * b + r) * h),
                                          cell: cells.at(((t + 1) * b + r) * h), tanhCell: nil,
                                          output: hiddens.at(((t + 1) * b + r) * h))
                }
            }
        }
    }

    /// The fused elementwise part of one step for one stream: activates the four gate blocks
    /// in place, then forms c(t) and h(t) (and tanh(c(t)) into `tanhCell` when given).
    @inline(__always)
    static func gateForward(gates g: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, hidden h: Int,
                            previousCell: UnsafePointer<Float>, cell: UnsafeMutablePointer<Float>,
                            tanhCell: UnsafeMutablePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        ck_lstm_forward(g, bias, h, previousCell, cell, tanhCell, output)
    }

    /// Backpropagates `outputGradients`, (steps·B)×H = ∂loss/∂h(1…T), through the last forward
    /// pass: accumulates (+=) this layer's weight and bias gradients into `gradients`. With
    /// `.dense` input it also leaves ∂loss/∂input in `inputGradients`; with `.tokens`, the
    /// embedding's gradient is added to `embeddingGradient` (V×In) instead.
    public func backward(outputGradients dOut: UnsafePointer<Float>, input: LayerInput,
                         parameters p: UnsafePointer<Float>, gradients dp: UnsafeMutablePointer<Float>,
                         embeddingGradient: UnsafeMutablePointer<Float>? = nil) {
        let b = batch, h = hiddenSize, g4 = 4 * h, steps = self.steps, inputSize = self.inputSize
        let (gates, cells, hiddens) = (self.gates, self.cells, self.hiddens)
        let gateGradients = gates  // overwritten in place, row by row, as the sweep goes back
        let dh = hiddenCarry.pointer, dc = cellCarry.pointer
        dc.update(repeating: 0, count: b * h)
        let packed = packedWeights.pointer
        ck_pack(p + weightHH, h, 1, g4, h, packed)
        Parallel.forEachRange(b) { streams in
            let first = streams.lowerBound, n = streams.count
            for t in stride(from: steps - 1, through: 0, by: -1) {
                // ∂loss/∂h(t) = the output's own gradient + what step t+1 sends back through W_hh.
                (dh + first * h).update(from: dOut + (t * b + first) * h, count: n * h)
                if t < steps - 1 {
                    ck_gemm_packed_accumulate(n, h, g4, gateGradients.at(((t + 1) * b + first) * g4), g4,
                                              packed, dh + first * h, h)
                }
                for r in streams {
                    LSTMLayer.gateBackward(gates: gates.at((t * b + r) * g4), hidden: h,
                                           previousCell: cells.at((t * b + r) * h),
                                           cell: cells.at(((t + 1) * b + r) * h),
                                           hiddenGradient: dh + r * h, cellGradient: dc + r * h,
                                           gateGradients: gateGradients.at((t * b + r) * g4))
                }
            }
        }
        let rows = steps * b
        let (weightIH, biasIH, biasHH) = (self.weightIH, self.biasIH, self.biasHH)
        // dW_hh += dGᵀ·h(0…T−1), each thread owning a block of gate rows (columns of dG), so no
        // two threads write the same element; likewise below.
        Parallel.forEachRange(g4, grain: 16) { gateRows in
            let a = gateRows.lowerBound, m = gateRows.count
            BLAS.gemm(transposeA: true, m: m, n: h, k: rows, gateGradients.at(a), lda: g4,
                      hiddens.pointer, ldb: h, beta: 1, dp + weightHH + a * h, ldc: h)
        }
        switch input {
        case .dense(let x):
            // dW_ih += dGᵀ·x, both biases += Σ rows of dG, and dX = dG·W_ih.
            Parallel.forEachRange(g4, grain: 16) { gateRows in
                let a = gateRows.lowerBound, m = gateRows.count
                BLAS.gemm(transposeA: true, m: m, n: inputSize, k: rows, gateGradients.at(a), lda: g4,
                          x, ldb: inputSize, beta: 1, dp + weightIH + a * inputSize, ldc: inputSize)
                columnSums(gateGradients.at(a), rows: rows, columns: m, stride: g4, addingTo: dp + biasIH + a)
                columnSums(gateGradients.at(a), rows: rows, columns: m, stride: g4, addingTo: dp + biasHH + a)
            }
            let dX = inputGradients
            Parallel.forEachRange(rows, grain: 16) { block in
                BLAS.gemm(m: block.count, n: inputSize, k: g4, gateGradients.at(block.lowerBound * g4), lda: g4,
                          p + weightIH, ldb: inputSize, dX.at(block.lowerBound * inputSize), ldc: inputSize)
            }
        case .tokens(let tokens, let embedding, let v):
            // S[c] = Σ of dG over the rows that read character c; then dW_ih += Sᵀ·E,
            // dE += S·W_ih, and both biases += Σ_c S[c].
            let summed = tokenTableBuffer(vocabulary: v)
            Parallel.forEachRange(g4, grain: 16) { gateRows in
                let a = gateRows.lowerBound, m = gateRows.count
                for c in 0..<v { summed.at(c * g4 + a).update(repeating: 0, count: m) }
                for r in 0..<rows {
                    let source = gateGradients.at(r * g4 + a), target = summed.at(Int(tokens[r]) * g4 + a)
                    for j in 0..<m { target[j] += source[j] }
                }
                BLAS.gemm(transposeA: true, m: m, n: inputSize, k: v, summed.at(a), lda: g4,
                          embedding, ldb: inputSize, beta: 1, dp + weightIH + a * inputSize, ldc: inputSize)
                columnSums(summed.at(a), rows: v, columns: m, stride: g4, addingTo: dp + biasIH + a)
                columnSums(summed.at(a), rows: v, columns: m, stride: g4, addingTo: dp + biasHH + a)
            }
            if let embeddingGradient {
                BLAS.gemm(m: v, n: inputSize, k: g4, summed.pointer, lda: g4, p + weightIH, ldb: inputSize,
                          beta: 1, embeddingGradient, ldc: inputSize)
            }
        }
    }

    private func tokenTableBuffer(vocabulary v: Int) -> FloatBuffer {
        if let table = tokenTable, table.count == v * 4 * hiddenSize { return table }
        let table = FloatBuffer(count: v * 4 * hiddenSize)
        tokenTable = table
        return table
    }

    /// One step of the fused backward for one stream. On entry `cellGradient` holds
    /// ∂loss/∂c(t) from step t+1; on exit ∂loss/∂c(t−1), ready for step t−1.
    @inline(__always)
    static func gateBackward(gates g: UnsafePointer<Float>, hidden h: Int, previousCell: UnsafePointer<Float>,
                             cell: UnsafePointer<Float>, hiddenGradient: UnsafePointer<Float>,
                             cellGradient: UnsafeMutablePointer<Float>,
                             gateGradients dg: UnsafeMutablePointer<Float>) {
        ck_lstm_backward(g, h, previousCell, cell, hiddenGradient, cellGradient, dg)
    }
}

/// out[j] += Σ_r m[r·stride + j] for j < columns: the column sums of a rows×columns block
/// of a row-major matrix whose rows are `stride` apart.
@inline(__always)
func columnSums(_ m: UnsafePointer<Float>, rows: Int, columns: Int, stride: Int,
                addingTo out: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let row = m + r * stride
        for j in 0..<columns { out[j] += row[j] }
    }
}
