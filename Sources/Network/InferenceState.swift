import Kernels

/// A model run one character at a time for one stream: the state of generation.
///
/// Each `step` is one matrix–vector product per layer, [W_ih | W_hh]·[x(t); h(t-1)] into the
/// gate vector, plus the fused gate kernel, then the decoder GEMV. One product over the fused
/// weights instead of two (x·W_ihᵀ and h·W_hhᵀ) halves the BLAS calls and the passes over the
/// gate vector. The fused weights are stored transposed, (I_l + H) × 4H, because OpenBLAS's
/// column-walking GEMV kernel runs this shape faster than its dot-product one (about 20% less
/// time per character on the 2×128 model). When the vocabulary is small, layer 0's input
/// product takes only V values, W_ih·embedding[v] + biases, so they are computed once into a
/// table and looked up: layer 0 then multiplies only h. Nothing is allocated per character.
///
/// The fused weights are a copy made at `init`: a state computes with the parameters as they
/// were then (make a new state after changing them).
public final class InferenceState {
    public let model: CharModel
    /// Per layer, shape (I_l + H): the layer's input x(t) followed by its hidden state h, the
    /// vector the fused weights multiply. Layer l's h lives at offset I_l.
    private let stacked: [FloatBuffer]
    /// Per layer, shape (I_l + H) × 4H: the transpose of [W_ih | W_hh] (gates i, f, g, o), so
    /// row k holds every gate's weight on element k of `stacked`.
    private let fusedWeights: [FloatBuffer]
    /// Per layer: b_ih + b_hh, 4H.
    private let biasSums: [FloatBuffer]
    /// V × 4H: W_ih_l0·embedding[v] + b_ih_l0 + b_hh_l0 for every character v, when the
    /// vocabulary is small enough for it (then layer 0's `stacked` holds only h).
    private let inputTable: FloatBuffer?
    /// Per layer, two cell-state buffers used in turn (c(t-1) in one, c(t) into the other):
    /// the gate kernel vectorises only when its input and output cells do not overlap.
    private let cells: [(FloatBuffer, FloatBuffer)]
    private var cellFlip = false
    private let gates: FloatBuffer
    /// The decoder's output for the last step, V floats.
    public let logits: FloatBuffer
    /// The gate kernel adds a bias; here the bias sums are already in `gates`, so it adds zeros.
    private let zeros: FloatBuffer
    private let inputSizes: [Int]
    private let embeddingOffset: Int, decoderWeight: Int, decoderBias: Int

    public init(model: CharModel) {
        let c = model.configuration, layout = model.layout, p = model.parameters
        let h = c.hiddenSize
        self.model = model
        // The table holds V/E times as many numbers as W_ih_l0: worth it up to four times.
        let tabulated = c.vocabularySize <= 4 * c.embeddingSize
        let inputSizes = (0..<c.layers).map { $0 > 0 ? h : (tabulated ? 0 : c.embeddingSize) }
        self.inputSizes = inputSizes
        stacked = inputSizes.map { FloatBuffer(count: $0 + h) }
        fusedWeights = (0..<c.layers).map { l in
            let input = inputSizes[l], width = input + h
            let ih = layout.offset("lstm.weight_ih_l\(l)"), hh = layout.offset("lstm.weight_hh_l\(l)")
            let fused = FloatBuffer(count: 4 * h * width)
            for row in 0..<4 * h {
                for k in 0..<input { fused[k * 4 * h + row] = p[ih + row * input + k] }
                for k in 0..<h { fused[(input + k) * 4 * h + row] = p[hh + row * h + k] }
            }
            return fused
        }
        biasSums = (0..<c.layers).map { l in
            let ih = layout.offset("lstm.bias_ih_l\(l)"), hh = layout.offset("lstm.bias_hh_l\(l)")
            return FloatBuffer((0..<4 * h).map { p[ih + $0] + p[hh + $0] })
        }
        if tabulated {
            let table = FloatBuffer(count: c.vocabularySize * 4 * h)
            for v in 0..<c.vocabularySize { (table.pointer + v * 4 * h).update(from: biasSums[0].pointer, count: 4 * h) }
            BLAS.gemm(transposeB: true, m: c.vocabularySize, n: 4 * h, k: c.embeddingSize,
                      p.pointer + layout.offset("embedding.weight"), lda: c.embeddingSize,
                      p.pointer + layout.offset("lstm.weight_ih_l0"), ldb: c.embeddingSize,
                      beta: 1, table.pointer, ldc: 4 * h)
            inputTable = table
        } else {
            inputTable = nil
        }
        cells = (0..<c.layers).map { _ in (FloatBuffer(count: h), FloatBuffer(count: h)) }
        gates = FloatBuffer(count: 4 * h)
        logits = FloatBuffer(count: c.vocabularySize)
        zeros = FloatBuffer(count: 4 * h)
        embeddingOffset = layout.offset("embedding.weight")
        decoderWeight = layout.offset("decoder.weight")
        decoderBias = layout.offset("decoder.bias")
    }

    /// The state a snapshot holds: every layer's h and c, then the logits.
    private var snapshotCount: Int {
        let c = model.configuration
        return c.layers * 2 * c.hiddenSize + c.vocabularySize
    }

    /// A copy of the recurrent state (every layer's hidden and cell state) and of the logits,
    /// which `restore` brings back. Beam search keeps one per hypothesis.
    public func snapshot() -> InferenceSnapshot {
        let s = InferenceSnapshot(values: FloatBuffer(count: snapshotCount), logitCount: logits.count)
        save(into: s)
        return s
    }

    /// Copies the current state into `snapshot` (one made by this state's `snapshot()`), so a
    /// search can reuse its snapshots instead of allocating new ones at every character.
    public func save(into snapshot: InferenceSnapshot) {
        precondition(snapshot.values.count == snapshotCount, "a snapshot of a different model")
        var target = snapshot.values.pointer
        for l in 0..<model.configuration.layers {
            let h = model.configuration.hiddenSize
            target.update(from: stacked[l].pointer + inputSizes[l], count: h)
            target.advanced(by: h).update(from: currentCell(l).pointer, count: h)
            target += 2 * h
        }
        target.update(from: logits.pointer, count: logits.count)
    }

    /// Returns to the state `snapshot` was taken in: the next `step` continues from there, and
    /// `logits` are those of that moment.
    public func restore(_ snapshot: InferenceSnapshot) {
        precondition(snapshot.values.count == snapshotCount, "a snapshot of a different model")
        var source = UnsafePointer(snapshot.values.pointer)
        for l in 0..<model.configuration.layers {
            let h = model.configuration.hiddenSize
            (stacked[l].pointer + inputSizes[l]).update(from: source, count: h)
            currentCell(l).pointer.update(from: source + h, count: h)
            source += 2 * h
        }
        logits.pointer.update(from: source, count: logits.count)
    }

    /// The buffer holding layer `l`'s c(t) after the last step: the next step reads it as c(t-1).
    private func currentCell(_ l: Int) -> FloatBuffer { cellFlip ? cells[l].1 : cells[l].0 }

    /// Forgets everything seen: zero hidden and cell state.
    public func reset() {
        stacked.forEach { $0.zero() }
        cells.forEach { $0.0.zero(); $0.1.zero() }
    }

    /// Feeds one character; afterwards `logits` scores every possible next character.
    /// Pass `computeLogits: false` while priming with a prompt to skip the decoder.
    public func step(_ token: Int32, computeLogits: Bool = true) {
        let c = model.configuration, p = model.parameters.pointer
        let h = c.hiddenSize
        if inputTable == nil {
            stacked[0].pointer.update(from: p + embeddingOffset + Int(token) * c.embeddingSize, count: c.embeddingSize)
        }
        cellFlip.toggle()
        for l in 0..<c.layers {
            let input = inputSizes[l], x = stacked[l].pointer, hidden = x + input
            let (previousCell, cell) = cellFlip ? (cells[l].0, cells[l].1) : (cells[l].1, cells[l].0)
            if l == 0, let table = inputTable {
                gates.pointer.update(from: table.pointer + Int(token) * 4 * h, count: 4 * h)
            } else {
                gates.pointer.update(from: biasSums[l].pointer, count: 4 * h)
            }
            BLAS.gemv(transpose: true, rows: input + h, columns: 4 * h, fusedWeights[l].pointer, lda: 4 * h, x, beta: 1, gates.pointer)
            LSTMLayer.gateForward(gates: gates.pointer, bias: zeros.pointer, hidden: h, previousCell: previousCell.pointer,
                                  cell: cell.pointer, tanhCell: nil, output: hidden)
            if l + 1 < c.layers { stacked[l + 1].pointer.update(from: hidden, count: h) }
        }
        guard computeLogits else { return }
        let top = stacked[c.layers - 1].pointer + inputSizes[c.layers - 1]
        logits.pointer.update(from: p + decoderBias, count: c.vocabularySize)
        BLAS.gemv(rows: c.vocabularySize, columns: h, p + decoderWeight, lda: h, top, beta: 1, logits.pointer)
    }
}

/// A saved `InferenceState`: every layer's hidden and cell state and the logits, made by
/// `InferenceState.snapshot()` and brought back by `restore(_:)`.
public final class InferenceSnapshot {
    /// Per layer h then c (H each), then the V logits.
    fileprivate let values: FloatBuffer
    private let logitCount: Int

    fileprivate init(values: FloatBuffer, logitCount: Int) {
        self.values = values
        self.logitCount = logitCount
    }

    /// The logits saved with the state: the scores of the character after it.
    public var logits: UnsafePointer<Float> { UnsafePointer(values.pointer + values.count - logitCount) }

    /// Makes this snapshot equal to `other` (of the same model), without allocating.
    public func copy(from other: InferenceSnapshot) { values.copy(from: other.values) }
}
