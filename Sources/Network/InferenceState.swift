import Kernels

/// A model run one character at a time for one stream: the state of generation.
///
/// Each `step` is one matrix–vector product per layer, [W_ih | W_hh]·[x(t); h(t-1)] into the
/// gate vector, plus the cell's fused kernel, then the decoder GEMV. One product over the fused
/// weights instead of two (x·W_ihᵀ and h·W_hhᵀ) halves the BLAS calls and the passes over the
/// gate vector. The fused weights are stored transposed, (I_l + H) × W, because OpenBLAS's
/// column-walking GEMV kernel runs this shape faster than its dot-product one (about 20% less
/// time per character on the 2×128 LSTM). When the vocabulary is small, layer 0's input
/// product takes only V values, W_ih·embedding[v] + biases, so they are computed once into a
/// table and looked up: layer 0 then multiplies only h. Nothing is allocated per character.
///
/// The fused gate vector has one block of H per `FusedWeights.blocks` entry: the LSTM's i, f, g, o and
/// the RNN's one block sum their input and hidden products; the GRU's r and z do too, but its n
/// gets two blocks, the input side and the hidden side, because the reset gate scales the latter.
///
/// The fused weights are a copy made at `init`: a state computes with the parameters as they
/// were then (make a new state after changing them). The copy may live in borrowed memory
/// (`workspace`), for a state that lives only while its lender's memory is idle. At a reduced
/// `WeightPrecision` the products read bf16 or int8 weights (see `FusedWeights`) on the
/// spinning `WorkerPool`; everything else stays fp32.
public final class InferenceState {
    public let model: CharModel
    /// The fused weights this state multiplies.
    public let weights: FusedWeights
    /// Per layer, shape `weights.strides[l]`: the layer's input x(t) followed by its hidden
    /// state h (and zero padding), the vector the fused weights multiply. Layer l's h lives at offset I_l.
    private let stacked: [FloatBuffer]
    /// Per layer: the biases of each fused gate, W.
    private let biasSums: [FloatBuffer]
    /// V × W: layer 0's input product plus biases for every character v, when the vocabulary is
    /// small enough for it (then layer 0's `stacked` holds only h).
    private let inputTable: FloatBuffer?
    /// LSTM only, per layer, two cell-state buffers used in turn (c(t-1) in one, c(t) into the
    /// other): the gate kernel vectorises only when its input and output cells do not overlap.
    private let cells: [(FloatBuffer, FloatBuffer)]
    private var cellFlip = false
    /// Per layer, W: the fused gates of the last step, activated by the kernel, kept per layer
    /// so `quantity` can show them.
    private let gates: [FloatBuffer]
    /// The decoder's output for the last step, V floats.
    public let logits: FloatBuffer
    /// When set, every step is timed by it and runs on the thread count it finds fastest (the
    /// results do not depend on it). Nil: steps run on whatever `BLAS.threads` is.
    public var threadTuner: ThreadTuner?
    /// The cell kernels add a bias; here the bias sums are already in `gates`, so they add zeros.
    private let zeros: FloatBuffer
    private let inputSizes: [Int]
    private let embeddingOffset: Int

    /// A fresh state (zero hidden and cell states) of `model`, its weights at `precision`.
    /// With `workspace` (fp32 only), the fused weights and the input table are carved out of
    /// that memory when they fit in it (see `ScratchArena`), so the state is usable only while
    /// the workspace is not otherwise used.
    public convenience init(model: CharModel, precision: WeightPrecision = .fp32, workspace: FloatBuffer? = nil) {
        self.init(weights: FusedWeights(model: model, precision: precision, workspace: workspace))
    }

    /// A state over weights already fused: states made from one `FusedWeights` share them.
    public init(weights: FusedWeights) {
        let c = weights.model.configuration, h = c.hiddenSize, width = weights.width
        model = weights.model
        self.weights = weights
        inputSizes = weights.inputSizes
        biasSums = weights.biasSums
        inputTable = weights.inputTable
        stacked = weights.strides.map { FloatBuffer(count: $0) }
        cells = c.cell == .lstm ? (0..<c.layers).map { _ in (FloatBuffer(count: h), FloatBuffer(count: h)) } : []
        gates = (0..<c.layers).map { _ in FloatBuffer(count: width) }
        logits = FloatBuffer(count: c.vocabularySize)
        zeros = FloatBuffer(count: width)
        embeddingOffset = weights.embeddingOffset
    }

    /// The state a snapshot holds: every layer's h (and the LSTM's c), then the logits.
    private var snapshotCount: Int {
        let c = model.configuration
        return c.layers * c.cell.stateNames.count * c.hiddenSize + c.vocabularySize
    }

    /// A copy of the recurrent state (every layer's hidden state, and the LSTM's cell state) and
    /// of the logits, which `restore` brings back. Beam search keeps one per hypothesis.
    public func snapshot() -> InferenceSnapshot {
        let s = InferenceSnapshot(values: FloatBuffer(count: snapshotCount), logitCount: logits.count)
        save(into: s)
        return s
    }

    /// Copies the current state into `snapshot` (one made by this state's `snapshot()`), so a
    /// search can reuse its snapshots instead of allocating new ones at every character.
    public func save(into snapshot: InferenceSnapshot) {
        precondition(snapshot.values.count == snapshotCount, "a snapshot of a different model")
        let h = model.configuration.hiddenSize
        var target = snapshot.values.pointer
        for l in 0..<model.configuration.layers {
            target.update(from: stacked[l].pointer + inputSizes[l], count: h)
            target += h
            if !cells.isEmpty {
                target.update(from: currentCell(l).pointer, count: h)
                target += h
            }
        }
        target.update(from: logits.pointer, count: logits.count)
    }

    /// Returns to the state `snapshot` was taken in: the next `step` continues from there, and
    /// `logits` are those of that moment.
    public func restore(_ snapshot: InferenceSnapshot) {
        precondition(snapshot.values.count == snapshotCount, "a snapshot of a different model")
        let h = model.configuration.hiddenSize
        var source = UnsafePointer(snapshot.values.pointer)
        for l in 0..<model.configuration.layers {
            (stacked[l].pointer + inputSizes[l]).update(from: source, count: h)
            source += h
            if !cells.isEmpty {
                currentCell(l).pointer.update(from: source, count: h)
                source += h
            }
        }
        logits.pointer.update(from: source, count: logits.count)
    }

    /// The LSTM's buffer holding layer `l`'s c(t) after the last step: the next step reads it as c(t-1).
    private func currentCell(_ l: Int) -> FloatBuffer { cellFlip ? cells[l].1 : cells[l].0 }

    /// Forgets everything seen: zero hidden (and cell) state.
    public func reset() {
        stacked.forEach { $0.zero() }
        cells.forEach { $0.0.zero(); $0.1.zero() }
    }

    /// Feeds one character; afterwards `logits` scores every possible next character.
    /// Pass `computeLogits: false` while priming with a prompt to skip the decoder.
    public func step(_ token: Int32, computeLogits: Bool = true) {
        threadTuner?.stepStarting()
        defer { threadTuner?.stepFinished() }
        let c = model.configuration, p = model.parameters.pointer
        let h = c.hiddenSize, width = gates[0].count
        if inputTable == nil {
            stacked[0].pointer.update(from: p + embeddingOffset + Int(token) * c.embeddingSize, count: c.embeddingSize)
        }
        cellFlip.toggle()
        for l in 0..<c.layers {
            let input = inputSizes[l], x = stacked[l].pointer, hidden = x + input, g = gates[l].pointer
            if l == 0, let table = inputTable {
                g.update(from: table.pointer + Int(token) * width, count: width)
            } else {
                g.update(from: biasSums[l].pointer, count: width)
            }
            weights.multiplyLayer(l, rows: 1, x, into: g)
            switch c.cell {
            case .lstm:
                let (previousCell, cell) = cellFlip ? (cells[l].0, cells[l].1) : (cells[l].1, cells[l].0)
                ck_lstm_forward(g, zeros.pointer, h, previousCell.pointer, cell.pointer, nil, hidden)
            case .gru:
                ck_gru_forward(g, zeros.pointer, h, g + 3 * h, hidden, hidden)
            case .rnn:
                ck_rnn_forward(g, zeros.pointer, h, hidden)
            }
            if l + 1 < c.layers { stacked[l + 1].pointer.update(from: hidden, count: h) }
        }
        guard computeLogits else { return }
        let last = c.layers - 1
        weights.decode(rows: 1, stacked[last].pointer + inputSizes[last], ldTop: weights.strides[last], into: logits.pointer)
    }

    /// The quantities `quantity(_:layer:)` can show for this model's cell.
    public var quantities: [CellQuantity] { model.configuration.cell.quantities }

    /// Layer `layer`'s `q` for the last `step`, one value per unit (H of them); valid until
    /// the next `step` or `reset`. `q` must be one of `quantities`.
    public func quantity(_ q: CellQuantity, layer l: Int) -> UnsafeBufferPointer<Float> {
        let h = model.configuration.hiddenSize, cell = model.configuration.cell
        precondition(cell.quantities.contains(q), "a \(cell.displayName) has no \(q) quantity")
        // Gate blocks in the fused vector: LSTM i, f, g, o; GRU r, z, n (input side).
        let block: Int
        switch q {
        case .hidden: return UnsafeBufferPointer(start: stacked[l].pointer + inputSizes[l], count: h)
        case .cell: return UnsafeBufferPointer(start: currentCell(l).pointer, count: h)
        case .write, .reset: block = 0
        case .keep, .update: block = 1
        case .candidate: block = 2
        case .read: block = 3
        }
        return UnsafeBufferPointer(start: gates[l].pointer + block * h, count: h)
    }
}

/// A saved `InferenceState`: every layer's hidden state (and the LSTM's cell state) and the
/// logits, made by `InferenceState.snapshot()` and brought back by `restore(_:)`.
public final class InferenceSnapshot {
    /// Per layer h (then c for an LSTM), H each, then the V logits.
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
