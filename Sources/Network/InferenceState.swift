import Kernels

/// A model run one character at a time for one stream: the state of generation.
///
/// Each `step` is one matrix–vector product per layer over the concatenated weights
/// (x·W_ihᵀ + h·W_hhᵀ as two GEMVs into the same gate vector) plus the fused gate kernel,
/// then the decoder GEMV. Nothing is allocated per character.
public final class InferenceState {
    public let model: CharModel
    /// Per layer: hidden and cell state (H each).
    let hidden: [FloatBuffer], cell: [FloatBuffer]
    let gates: FloatBuffer, tanhCell: FloatBuffer, biasSums: [FloatBuffer]
    /// The decoder's output for the last step, V floats.
    public let logits: FloatBuffer
    /// The gate kernel adds a bias; here the bias sums are already in `gates`, so it adds zeros.
    private let zeros: FloatBuffer
    private let offsets: [(ih: Int, hh: Int)]
    private let embeddingOffset: Int, decoderWeight: Int, decoderBias: Int

    public init(model: CharModel) {
        let c = model.configuration, layout = model.layout
        self.model = model
        hidden = (0..<c.layers).map { _ in FloatBuffer(count: c.hiddenSize) }
        cell = (0..<c.layers).map { _ in FloatBuffer(count: c.hiddenSize) }
        gates = FloatBuffer(count: 4 * c.hiddenSize)
        tanhCell = FloatBuffer(count: c.hiddenSize)
        logits = FloatBuffer(count: c.vocabularySize)
        zeros = FloatBuffer(count: 4 * c.hiddenSize)
        offsets = (0..<c.layers).map { (layout.offset("lstm.weight_ih_l\($0)"), layout.offset("lstm.weight_hh_l\($0)")) }
        biasSums = (0..<c.layers).map { l in
            let ih = layout.offset("lstm.bias_ih_l\(l)"), hh = layout.offset("lstm.bias_hh_l\(l)")
            return FloatBuffer((0..<4 * c.hiddenSize).map { model.parameters[ih + $0] + model.parameters[hh + $0] })
        }
        embeddingOffset = layout.offset("embedding.weight")
        decoderWeight = layout.offset("decoder.weight")
        decoderBias = layout.offset("decoder.bias")
    }

    /// Forgets everything seen: zero hidden and cell state.
    public func reset() {
        hidden.forEach { $0.zero() }
        cell.forEach { $0.zero() }
    }

    /// Feeds one character; afterwards `logits` scores every possible next character.
    /// Pass `computeLogits: false` while priming with a prompt to skip the decoder.
    public func step(_ token: Int32, computeLogits: Bool = true) {
        let c = model.configuration, p = model.parameters.pointer
        let h = c.hiddenSize
        var input = UnsafePointer(p + embeddingOffset + Int(token) * c.embeddingSize)
        var inputSize = c.embeddingSize
        for l in 0..<c.layers {
            gates.pointer.update(from: biasSums[l].pointer, count: 4 * h)
            BLAS.gemv(rows: 4 * h, columns: inputSize, p + offsets[l].ih, lda: inputSize, input, beta: 1, gates.pointer)
            BLAS.gemv(rows: 4 * h, columns: h, p + offsets[l].hh, lda: h, hidden[l].pointer, beta: 1, gates.pointer)
            LSTMLayer.gateForward(gates: gates.pointer, bias: zeros.pointer, hidden: h, previousCell: cell[l].pointer,
                                  cell: cell[l].pointer, tanhCell: tanhCell.pointer, output: hidden[l].pointer)
            input = UnsafePointer(hidden[l].pointer)
            inputSize = h
        }
        guard computeLogits else { return }
        logits.pointer.update(from: p + decoderBias, count: c.vocabularySize)
        BLAS.gemv(rows: c.vocabularySize, columns: h, p + decoderWeight, lda: h, input, beta: 1, logits.pointer)
    }
}
