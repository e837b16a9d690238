import Kernels

/// What every recurrent layer shares, whatever its cell: sizes and tensor offsets, the states
/// over T steps, the input projection before the time loop, the recurrent products inside it,
/// and the weight-gradient products after the backward sweep. A cell's layer adds only its
/// own elementwise step (see `RecurrentLayer`).
///
/// The input projection of all T·B rows is one GEMM before the time loop (or, for `.tokens`
/// input, one GEMM over the V table rows); only h·W_hhᵀ stays inside it, done by
/// `ck_gemm_packed_accumulate` on each thread's share of the streams. W_hh is multiplied in
/// row blocks (`recurrentBlocks`, counted in gates): the LSTM and the RNN use all its rows at
/// once; the GRU its r and z rows, which add to the gate pre-activations, and its n rows apart,
/// because the reset gate scales that product.
///
/// Workspace (floats): gates G·T·B·H (overwritten in place by their gradients in backward),
/// each state (T+1)·B·H, a B×H gradient carry, the bias sum G·H, the packed W_hh (shared by the layers of a
/// network), and — allocated on the first backward only, so evaluation never pays for it —
/// the input gradient T·B·In.
public final class RecurrentLayerCore {
    public let cell: CellKind
    public let inputSize: Int
    public let hiddenSize: Int
    public let batch: Int
    public let maxSteps: Int
    /// G·H: one row of gates.
    public let gateWidth: Int

    /// Offsets of the layer's tensors in the model's flat parameter buffer.
    let weightIH: Int, weightHH: Int, biasIH: Int, biasHH: Int

    /// Per step, (T·B)×G·H: x·W_ihᵀ from `beginForward`, which the cell completes and activates
    /// in place; in backward, replaced row by row by ∂loss/∂(pre-activation of the input side).
    let gates: FloatBuffer
    /// G·H: the biases the cell kernel adds to a row of `gates` as it activates: b_ih + b_hh for
    /// the gates whose hidden product goes into `gates` (the first recurrent block), b_ih alone
    /// for the others (the GRU's n, whose b_hn stays with its own product).
    let biasSum: FloatBuffer
    /// The cell's states for t = 0…T, each (T+1)·B·H, in `CellKind.stateNames` order (h first);
    /// slot 0 holds the state carried in from the previous batch.
    public let states: [FloatBuffer]
    /// ∂loss/∂h(t) of every stream at the step the backward sweep is at, B×H.
    let hiddenGradient: FloatBuffer
    /// ∂loss/∂input, (T·B)×In: what the layer below receives.
    public private(set) lazy var inputGradients = FloatBuffer(count: maxSteps * batch * inputSize)
    /// For `.tokens` input: the projected table x·W_ihᵀ (V×G·H) in forward, then the gate
    /// gradients summed per character in backward.
    private var tokenTable: FloatBuffer?
    /// Row blocks of W_hh multiplied together, in gates, and where each sits in `packedWeights`.
    let recurrentBlocks: [Range<Int>]
    private let packedOffsets: [Int]
    /// W_hh packed for the recurrent products (see `ck_pack`), block by block: as W_hhᵀ for the
    /// forward h·W_hhᵀ, and as W_hh for the backward dG·W_hh. Packed at the start of each pass;
    /// the layers of a network run one at a time, so they share one buffer.
    let packedWeights: FloatBuffer
    /// Steps in the most recent forward pass.
    public private(set) var steps = 0

    static func recurrentBlocks(_ cell: CellKind) -> [Range<Int>] {
        cell == .gru ? [0..<2, 2..<3] : [0..<cell.gateCount]
    }

    private static func packedCount(block: Range<Int>, hiddenSize h: Int) -> Int {
        max(ck_packed_count(h, block.count * h), ck_packed_count(block.count * h, h))
    }

    /// Floats the packed W_hh of a layer of `cell` with `hiddenSize` units needs, either way round.
    public static func packedCount(cell: CellKind, hiddenSize h: Int) -> Int {
        recurrentBlocks(cell).reduce(0) { $0 + packedCount(block: $1, hiddenSize: h) }
    }

    public init(cell: CellKind, inputSize: Int, hiddenSize: Int, batch: Int, maxSteps: Int, layerIndex l: Int,
                layout: ParameterLayout, packedWeights: FloatBuffer? = nil) {
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.batch = batch
        self.maxSteps = maxSteps
        gateWidth = cell.gateCount * hiddenSize
        weightIH = layout.offset(ParameterLayout.name(.weightIH, layer: l, cell: cell))
        weightHH = layout.offset(ParameterLayout.name(.weightHH, layer: l, cell: cell))
        biasIH = layout.offset(ParameterLayout.name(.biasIH, layer: l, cell: cell))
        biasHH = layout.offset(ParameterLayout.name(.biasHH, layer: l, cell: cell))
        gates = FloatBuffer(count: maxSteps * batch * gateWidth)
        biasSum = FloatBuffer(count: gateWidth)
        states = cell.stateNames.map { _ in FloatBuffer(count: (maxSteps + 1) * batch * hiddenSize) }
        hiddenGradient = FloatBuffer(count: batch * hiddenSize)
        recurrentBlocks = Self.recurrentBlocks(cell)
        var offsets = [Int](), total = 0
        for block in recurrentBlocks {
            offsets.append(total)
            total += Self.packedCount(block: block, hiddenSize: hiddenSize)
        }
        packedOffsets = offsets
        self.packedWeights = packedWeights ?? FloatBuffer(count: total)
        precondition(self.packedWeights.count >= total)
    }

    /// h(t) for t = 0…T.
    public var hiddens: FloatBuffer { states[0] }

    /// The layer's outputs h(1…T), (T·B)×H, contiguous.
    public var outputs: UnsafeMutablePointer<Float> { hiddens.at(batch * hiddenSize) }

    /// State `k` (in `CellKind.stateNames` order) at the end of the last forward pass, B×H:
    /// what the next forward starts from.
    public func finalState(_ k: Int) -> UnsafeMutablePointer<Float> { states[k].at(steps * batch * hiddenSize) }

    /// Zeroes the carried state (start of an epoch, or a fresh sample).
    public func resetState() {
        for state in states { state.pointer.update(repeating: 0, count: batch * hiddenSize) }
        steps = 0
    }

    /// Moves the final state of the last forward pass into slot 0, detached from its history:
    /// truncated BPTT carries the values but never backpropagates into the previous batch.
    public func carryState() {
        guard steps > 0 else { return }
        let n = batch * hiddenSize
        for state in states { state.pointer.update(from: state.at(steps * n), count: n) }
    }

    /// Starts a forward pass of `steps` steps: forms `biasSum`, packs W_hhᵀ and writes x·W_ihᵀ
    /// (no bias) into `gates` for every row.
    func beginForward(_ input: LayerInput, steps: Int, parameters p: UnsafePointer<Float>) {
        precondition(steps >= 1 && steps <= maxSteps)
        self.steps = steps
        let h = hiddenSize, width = gateWidth, inputSize = self.inputSize, weightIH = self.weightIH
        let summed = recurrentBlocks[0].count * h
        for j in 0..<width { biasSum[j] = p[biasIH + j] + (j < summed ? p[biasHH + j] : 0) }
        for (block, offset) in zip(recurrentBlocks, packedOffsets) {
            ck_pack(p + weightHH + block.lowerBound * h * h, 1, h, h, block.count * h, packedWeights.at(offset))
        }
        let gates = self.gates
        switch input {
        case .dense(let x):
            Parallel.forEachRange(steps * batch, grain: 16) { rows in
                BLAS.gemm(transposeB: true, m: rows.count, n: width, k: inputSize, x + rows.lowerBound * inputSize,
                          lda: inputSize, p + weightIH, ldb: inputSize, gates.at(rows.lowerBound * width), ldc: width)
            }
        case .tokens(let tokens, let embedding, let v):
            let table = tokenTableBuffer(vocabulary: v)
            BLAS.gemm(transposeB: true, m: v, n: width, k: inputSize, embedding, lda: inputSize,
                      p + weightIH, ldb: inputSize, table.pointer, ldc: width)
            Parallel.forEachRange(steps * batch, grain: 16) { rows in
                for r in rows { gates.at(r * width).update(from: table.at(Int(tokens[r]) * width), count: width) }
            }
        }
    }

    /// out (streams×block width, row stride `stride`) += h (streams×H) · W_hh[block]ᵀ.
    @inline(__always)
    func addRecurrentProduct(block k: Int, streams: Int, hidden: UnsafePointer<Float>,
                             into out: UnsafeMutablePointer<Float>, stride: Int) {
        let h = hiddenSize
        ck_gemm_packed_accumulate(streams, recurrentBlocks[k].count * h, h, hidden, h,
                                  packedWeights.at(packedOffsets[k]), out, stride)
    }

    /// Starts a backward pass: packs W_hh for `gatherHiddenGradient`.
    func beginBackward(parameters p: UnsafePointer<Float>) {
        let h = hiddenSize
        for (block, offset) in zip(recurrentBlocks, packedOffsets) {
            ck_pack(p + weightHH + block.lowerBound * h * h, h, 1, block.count * h, h, packedWeights.at(offset))
        }
    }

    /// Forms ∂loss/∂h(t) of `streams` in `hiddenGradient`: the output's own gradient (from the
    /// layer above), plus `direct` (a cell's path from h(t+1) to h(t) around the weights, if it
    /// has one), plus what step t+1's pre-activation gradients (`hiddenSide`, as for
    /// `endBackward`) send back through W_hh. Copies it into `report` ((T·B)×H) when given.
    @inline(__always)
    func gatherHiddenGradient(step t: Int, streams: Range<Int>, outputGradients dOut: UnsafePointer<Float>,
                              direct: UnsafePointer<Float>?, hiddenSide: [(UnsafePointer<Float>, stride: Int)],
                              report: UnsafeMutablePointer<Float>?) {
        let b = batch, h = hiddenSize, first = streams.lowerBound, n = streams.count
        let row0 = t * b + first, source = dOut + row0 * h, target = hiddenGradient.at(first * h)
        if let direct {
            let carried = direct + first * h
            for k in 0..<n * h { target[k] = source[k] + carried[k] }
        } else {
            target.update(from: source, count: n * h)
        }
        if t < steps - 1 {
            for (k, (g, stride)) in hiddenSide.enumerated() {
                ck_gemm_packed_accumulate(n, h, recurrentBlocks[k].count * h, g + (row0 + b) * stride, stride,
                                          packedWeights.at(packedOffsets[k]), target, h)
            }
        }
        report?.advanced(by: row0 * h).update(from: target, count: n * h)
    }

    /// Ends a backward pass: with the input-side pre-activation gradients in `gates` and the
    /// hidden side's per block in `hiddenSide` (pointer to block column 0, row stride), forms
    /// every weight gradient as one GEMM over all T·B rows and adds (+=) them into `gradients`.
    /// With `.dense` input it also leaves ∂loss/∂input in `inputGradients`; with `.tokens`, the
    /// embedding's gradient is added to `embeddingGradient` (V×In) instead.
    func endBackward(hiddenSide: [(UnsafePointer<Float>, stride: Int)], input: LayerInput,
                     parameters p: UnsafePointer<Float>, gradients dp: UnsafeMutablePointer<Float>,
                     embeddingGradient: UnsafeMutablePointer<Float>?) {
        let h = hiddenSize, width = gateWidth, rows = steps * batch, inputSize = self.inputSize
        let (gates, hiddens) = (self.gates, self.hiddens)
        let (weightIH, weightHH, biasIH, biasHH) = (self.weightIH, self.weightHH, self.biasIH, self.biasHH)
        // dW_hh += dGᵀ·h(0…T−1) and b_hh += Σ rows of dG, block by block, each thread owning a
        // range of gate rows (columns of dG), so no two threads write the same element; likewise below.
        for (block, (g, stride)) in zip(recurrentBlocks, hiddenSide) {
            let first = block.lowerBound * h
            Parallel.forEachRange(block.count * h, grain: 16) { gateRows in
                let a = gateRows.lowerBound, m = gateRows.count
                BLAS.gemm(transposeA: true, m: m, n: h, k: rows, g + a, lda: stride, hiddens.pointer, ldb: h,
                          beta: 1, dp + weightHH + (first + a) * h, ldc: h)
                columnSums(g + a, rows: rows, columns: m, stride: stride, addingTo: dp + biasHH + first + a)
            }
        }
        switch input {
        case .dense(let x):
            // dW_ih += dGᵀ·x, b_ih += Σ rows of dG, and dX = dG·W_ih.
            Parallel.forEachRange(width, grain: 16) { gateRows in
                let a = gateRows.lowerBound, m = gateRows.count
                BLAS.gemm(transposeA: true, m: m, n: inputSize, k: rows, gates.at(a), lda: width,
                          x, ldb: inputSize, beta: 1, dp + weightIH + a * inputSize, ldc: inputSize)
                columnSums(gates.at(a), rows: rows, columns: m, stride: width, addingTo: dp + biasIH + a)
            }
            let dX = inputGradients
            Parallel.forEachRange(rows, grain: 16) { block in
                BLAS.gemm(m: block.count, n: inputSize, k: width, gates.at(block.lowerBound * width), lda: width,
                          p + weightIH, ldb: inputSize, dX.at(block.lowerBound * inputSize), ldc: inputSize)
            }
        case .tokens(let tokens, let embedding, let v):
            // S[c] = Σ of dG over the rows that read character c; then dW_ih += Sᵀ·E,
            // dE += S·W_ih, and b_ih += Σ_c S[c].
            let summed = tokenTableBuffer(vocabulary: v)
            Parallel.forEachRange(width, grain: 16) { gateRows in
                let a = gateRows.lowerBound, m = gateRows.count
                for c in 0..<v { summed.at(c * width + a).update(repeating: 0, count: m) }
                for r in 0..<rows {
                    let source = gates.at(r * width + a), target = summed.at(Int(tokens[r]) * width + a)
                    for j in 0..<m { target[j] += source[j] }
                }
                BLAS.gemm(transposeA: true, m: m, n: inputSize, k: v, summed.at(a), lda: width,
                          embedding, ldb: inputSize, beta: 1, dp + weightIH + a * inputSize, ldc: inputSize)
                columnSums(summed.at(a), rows: v, columns: m, stride: width, addingTo: dp + biasIH + a)
            }
            if let embeddingGradient {
                BLAS.gemm(m: v, n: inputSize, k: width, summed.pointer, lda: width, p + weightIH, ldb: inputSize,
                          beta: 1, embeddingGradient, ldc: inputSize)
            }
        }
    }

    private func tokenTableBuffer(vocabulary v: Int) -> FloatBuffer {
        if let table = tokenTable, table.count == v * gateWidth { return table }
        let table = FloatBuffer(count: v * gateWidth)
        tokenTable = table
        return table
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
