import Kernels

/// A model's weights laid out for writing text (see `InferenceState` for why this way): per
/// layer, [W_ih | W_hh] fused and transposed to (I_l + H) × W, the summed biases, and, when
/// the vocabulary is small, layer 0's input product for every character as a table. Made once
/// per model and read-only afterwards, so an `InferenceState` and an `InferenceBatch` can share
/// it; it is a copy, so it keeps the parameters as they were when it was made. The copy may live
/// in borrowed memory (`workspace`, see `ScratchArena`), usable only while its lender's memory is idle.
public final class FusedWeights: @unchecked Sendable {
    // Unchecked: every buffer is written in `init` only.
    public let model: CharModel
    /// Per layer, the input elements before h in the vector the fused weights multiply
    /// (0 for layer 0 when `inputTable` replaces its input product).
    public let inputSizes: [Int]
    /// Per layer, (I_l + H) × W: row k holds every fused gate's weight on element k of [x; h].
    public let fused: [FloatBuffer]
    /// Per layer: the biases of each fused gate, W.
    public let biasSums: [FloatBuffer]
    /// V × W: layer 0's input product plus biases for every character v, when the vocabulary is
    /// small enough for it.
    public let inputTable: FloatBuffer?
    /// The fused gate vector's length: one block of H per `blocks` entry.
    public let width: Int
    public let embeddingOffset: Int, decoderWeight: Int, decoderBias: Int

    /// The blocks of the fused gate vector: which gate block of W_ih (and b_ih) and of W_hh (and
    /// b_hh) each sums, nil for none.
    static func blocks(_ cell: CellKind) -> [(input: Int?, hidden: Int?)] {
        switch cell {
        case .lstm: return (0..<4).map { ($0, $0) }
        case .gru: return [(0, 0), (1, 1), (2, nil), (nil, 2)]
        case .rnn: return [(0, 0)]
        }
    }

    public init(model: CharModel, workspace: FloatBuffer? = nil) {
        var arena = ScratchArena(borrowing: workspace)
        let c = model.configuration, layout = model.layout, p = model.parameters
        let h = c.hiddenSize, blocks = Self.blocks(c.cell), width = blocks.count * h
        self.model = model
        self.width = width
        // The table holds V/E times as many numbers as W_ih_l0: worth it up to four times.
        let tabulated = c.vocabularySize <= 4 * c.embeddingSize
        let inputSizes = (0..<c.layers).map { $0 > 0 ? h : (tabulated ? 0 : c.embeddingSize) }
        self.inputSizes = inputSizes
        func offset(_ tensor: ParameterLayout.RecurrentTensor, _ l: Int) -> Int {
            layout.offset(ParameterLayout.name(tensor, layer: l, cell: c.cell))
        }
        /// Layer l's fused weights over `input` input elements, with the hidden rows below them when `hidden`.
        func fusedMatrix(_ l: Int, input: Int, hidden: Bool) -> FloatBuffer {
            let ih = offset(.weightIH, l), hh = offset(.weightHH, l)
            let matrix = arena.buffer(count: (input + (hidden ? h : 0)) * width)
            for (q, block) in blocks.enumerated() {
                for u in 0..<h {
                    let column = q * h + u
                    if let i = block.input {
                        for k in 0..<input { matrix[k * width + column] = p[ih + (i * h + u) * input + k] }
                    }
                    if hidden, let j = block.hidden {
                        for k in 0..<h { matrix[(input + k) * width + column] = p[hh + (j * h + u) * h + k] }
                    }
                }
            }
            return matrix
        }
        fused = (0..<c.layers).map { fusedMatrix($0, input: inputSizes[$0], hidden: true) }
        biasSums = (0..<c.layers).map { l in
            let ih = offset(.biasIH, l), hh = offset(.biasHH, l)
            return FloatBuffer(blocks.flatMap { block in
                (0..<h).map { u in
                    (block.input.map { p[ih + $0 * h + u] } ?? 0) + (block.hidden.map { p[hh + $0 * h + u] } ?? 0)
                }
            })
        }
        if tabulated {
            let table = arena.buffer(count: c.vocabularySize * width)
            for v in 0..<c.vocabularySize { table.at(v * width).update(from: biasSums[0].pointer, count: width) }
            let inputWeights = fusedMatrix(0, input: c.embeddingSize, hidden: false)
            withExtendedLifetime(inputWeights) {
                BLAS.gemm(m: c.vocabularySize, n: width, k: c.embeddingSize,
                          p.pointer + layout.offset("embedding.weight"), lda: c.embeddingSize,
                          inputWeights.pointer, ldb: width, beta: 1, table.pointer, ldc: width)
            }
            inputTable = table
        } else {
            inputTable = nil
        }
        embeddingOffset = layout.offset("embedding.weight")
        decoderWeight = layout.offset("decoder.weight")
        decoderBias = layout.offset("decoder.bias")
    }
}
