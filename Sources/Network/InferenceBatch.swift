import Dispatch
import Kernels

/// Several streams of text stepped together, one character each per `step`: the state of
/// generation for a server's concurrent requests.
///
/// Each layer multiplies the fused weights by all the streams' [x; h] rows at once (a k-row
/// product instead of k matrix–vector ones), so the weights, which bound the speed of
/// sampling, are read once per character for all of them; the decoder likewise. With one
/// stream the products are `InferenceState`'s, so its numbers are the same. With more, in fp32
/// they are `ck_gemm_packed_accumulate` over a copy of the weights packed once, at `init`
/// (a general BLAS GEMM re-packs the whole weight matrix on every call: with 32 rows of an
/// M-sized model, OpenBLAS spent more time copying the weights than multiplying them), and
/// may round differently from the one-row GEMV in the last bits; in bf16 and int8 they are the
/// `WeightMatrix` products, where a row's numbers never depend on the other rows, so a row is
/// bit for bit what it would be alone. Nothing is allocated per step.
///
/// `threads` splits the products: in fp32 with more than one row, each layer's product is cut
/// into column ranges of whole packed panels, one per thread, each computed exactly as it would
/// be alone, so the results do not depend on the thread count; in bf16 and int8, the
/// `WorkerPool`'s for every product. A few dozen rows of an M-sized model are bound by
/// arithmetic, not by reading the weights, so a second core can nearly halve their step. One
/// fp32 row's GEMVs stay on one BLAS thread: OpenBLAS's threaded GEMV rounds differently (seen
/// in the last bits of the logits with two threads), and one row is the batch that must match
/// `InferenceState`.
///
/// Streams are rows 0 ..< k, at most `capacity`; a caller keeps a stream in one row, gives a
/// joining stream a row with `resetRow`, and fills a leaving stream's row with the last
/// stream by `moveRow`.
public final class InferenceBatch {
    public let weights: FusedWeights
    public let capacity: Int
    /// Per layer, capacity × `weights.strides[l]`: each row's input x(t) then its hidden state h
    /// (then zero padding).
    private let stacked: [FloatBuffer]
    /// LSTM only, per layer, two capacity × H cell-state buffers used in turn, as in `InferenceState`.
    private let cells: [(FloatBuffer, FloatBuffer)]
    private var cellFlip = false
    /// Per layer, capacity × W: the fused gates of the last step.
    private let gates: [FloatBuffer]
    /// capacity × V: each row's decoder output for the last step.
    private let logits: FloatBuffer
    /// The cell kernels add a bias; the bias sums are already in the gates, so they add zeros.
    private let zeros: FloatBuffer
    /// fp32 only (empty otherwise): per layer, the fused weights packed by `ck_pack` for the
    /// products of more than one row; then the decoder's weight, transposed to H × V, likewise.
    private let packedLayers: [FloatBuffer]
    private let packedDecoder: FloatBuffer
    /// Columns per packed panel: ranges split between threads start at multiples of it.
    private let panelWidth = ck_packed_count(1, 1)
    /// Threads the products of a step are split across (1 or more).
    public var threads = 1 {
        didSet { threads = max(1, threads) }
    }

    public init(weights: FusedWeights, capacity: Int) {
        precondition(capacity >= 1)
        let c = weights.model.configuration, h = c.hiddenSize
        self.weights = weights
        self.capacity = capacity
        stacked = weights.strides.map { FloatBuffer(count: capacity * $0) }
        cells = c.cell == .lstm ? (0..<c.layers).map { _ in (FloatBuffer(count: capacity * h), FloatBuffer(count: capacity * h)) } : []
        gates = (0..<c.layers).map { _ in FloatBuffer(count: capacity * weights.width) }
        logits = FloatBuffer(count: capacity * c.vocabularySize)
        zeros = FloatBuffer(count: weights.width)
        let width = weights.width, v = c.vocabularySize
        packedLayers = zip(weights.inputSizes, weights.fused).map { input, fused in
            let packed = FloatBuffer(count: ck_packed_count(input + h, width))
            ck_pack(fused.pointer, width, 1, input + h, width, packed.pointer)
            return packed
        }
        packedDecoder = FloatBuffer(count: weights.precision == .fp32 ? ck_packed_count(h, v) : 0)
        if weights.precision == .fp32 { ck_pack(weights.model.parameters.pointer + weights.decoderWeight, 1, h, h, v, packedDecoder.pointer) }
    }

    private var configuration: ModelConfiguration { weights.model.configuration }

    /// Row `row`'s scores of its next character after the last step (V floats).
    public func logits(of row: Int) -> UnsafePointer<Float> {
        UnsafePointer(logits.pointer + row * configuration.vocabularySize)
    }

    /// Gives `row` a fresh state, as a new `InferenceState` has: zero hidden (and cell) state.
    public func resetRow(_ row: Int) {
        let h = configuration.hiddenSize
        for (l, stride) in weights.strides.enumerated() { stacked[l].at(row * stride).update(repeating: 0, count: stride) }
        for pair in cells {
            pair.0.at(row * h).update(repeating: 0, count: h)
            pair.1.at(row * h).update(repeating: 0, count: h)
        }
    }

    /// Copies row `source`'s state and logits into row `target` (to close the gap a leaving stream left).
    public func moveRow(_ source: Int, to target: Int) {
        guard source != target else { return }
        let h = configuration.hiddenSize, v = configuration.vocabularySize
        for (l, stride) in weights.strides.enumerated() {
            stacked[l].at(target * stride).update(from: stacked[l].at(source * stride), count: stride)
        }
        for pair in cells {
            pair.0.at(target * h).update(from: pair.0.at(source * h), count: h)
            pair.1.at(target * h).update(from: pair.1.at(source * h), count: h)
        }
        logits.at(target * v).update(from: logits.at(source * v), count: v)
    }

    /// Feeds `tokens[r]` to row r for every r < `tokens.count`; afterwards `logits(of:)` scores
    /// each of those rows' next character. Pass `computeLogits: false` while priming with a
    /// prompt to skip the decoder.
    public func step(_ tokens: UnsafeBufferPointer<Int32>, computeLogits: Bool = true) {
        let k = tokens.count
        guard k > 0 else { return }
        precondition(k <= capacity)
        let c = configuration, p = weights.model.parameters.pointer, h = c.hiddenSize, width = weights.width
        cellFlip.toggle()
        let packed = weights.precision == .fp32 && k > 1
        if weights.precision != .fp32 { WorkerPool.shared.parallelism = threads }
        for l in 0..<c.layers {
            let input = weights.inputSizes[l], stride = weights.strides[l], x = stacked[l].pointer, g = gates[l].pointer
            for r in 0..<k {
                if l == 0, let table = weights.inputTable {
                    (g + r * width).update(from: table.pointer + Int(tokens[r]) * width, count: width)
                } else {
                    (g + r * width).update(from: weights.biasSums[l].pointer, count: width)
                }
                if l == 0 && weights.inputTable == nil {
                    (x + r * stride).update(from: p + weights.embeddingOffset + Int(tokens[r]) * c.embeddingSize, count: c.embeddingSize)
                }
            }
            if packed {
                multiply(rows: k, columns: width, depth: input + h, x, lda: stride, packed: packedLayers[l], into: g)
            } else {
                weights.multiplyLayer(l, rows: k, x, into: g)
            }
            for r in 0..<k {
                let rowGates = g + r * width, hidden = x + r * stride + input
                switch c.cell {
                case .lstm:
                    let (previous, next) = cellFlip ? (cells[l].0, cells[l].1) : (cells[l].1, cells[l].0)
                    ck_lstm_forward(rowGates, zeros.pointer, h, previous.at(r * h), next.at(r * h), nil, hidden)
                case .gru:
                    ck_gru_forward(rowGates, zeros.pointer, h, rowGates + 3 * h, hidden, hidden)
                case .rnn:
                    ck_rnn_forward(rowGates, zeros.pointer, h, hidden)
                }
                if l + 1 < c.layers {
                    let nextStride = weights.strides[l + 1]
                    (stacked[l + 1].pointer + r * nextStride).update(from: hidden, count: h)
                }
            }
        }
        guard computeLogits else { return }
        let last = c.layers - 1, stride = weights.strides[last], v = c.vocabularySize
        let top = stacked[last].pointer + weights.inputSizes[last]
        if packed {
            for r in 0..<k { logits.at(r * v).update(from: p + weights.decoderBias, count: v) }
            multiply(rows: k, columns: v, depth: h, top, lda: stride, packed: packedDecoder, into: logits.pointer)
        } else {
            weights.decode(rows: k, top, ldTop: stride, into: logits.pointer)
        }
    }

    /// C (rows × columns, row stride `columns`) += A · B for B packed by `ck_pack`, split by
    /// columns across `threads`.
    private func multiply(rows: Int, columns: Int, depth: Int, _ a: UnsafePointer<Float>, lda: Int, packed: FloatBuffer,
                          into c: UnsafeMutablePointer<Float>) {
        // A piece of fewer than 8 panels (the decoder's, say) is not worth waking a thread for.
        let panels = (columns + panelWidth - 1) / panelWidth, pieces = min(threads, panels / 8)
        guard pieces > 1 else {
            ck_gemm_packed_accumulate(rows, columns, depth, a, lda, packed.pointer, c, columns)
            return
        }
        let b = packed.pointer, panelWidth = panelWidth
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            let range = Parallel.range(piece, of: pieces, count: panels)
            let first = range.lowerBound * panelWidth, end = min(range.upperBound * panelWidth, columns)
            ck_gemm_packed_accumulate(rows, end - first, depth, a, lda, b + first * depth, c + first, columns)
        }
    }
}
