import Kernels

/// A model's weights laid out for writing text (see `InferenceState` for why this way): per
/// layer, [W_ih | W_hh] fused, the summed biases, and, when the vocabulary is small, layer 0's
/// input product for every character as a table. Made once per model and read-only afterwards,
/// so `InferenceState`s and `InferenceBatch`es can share it; it is a copy, so it keeps the
/// parameters as they were when it was made.
///
/// In fp32 the fused weights are transposed, (I_l + H) × W, for BLAS (whose column-walking
/// GEMV runs this shape fastest), and may live in borrowed memory (`workspace`, see
/// `ScratchArena`), usable only while its lender's memory is idle. In bf16 and int8 they are
/// W × (I_l + H) `WeightMatrix`es, one output unit per row (int8's scales are per row),
/// quantised here once; the input table and the decoder stay fp32 (the table is looked up, not
/// multiplied, and the decoder is V × H, a few percent of the bytes), the decoder multiplied by
/// the same kernels, so that a stream's numbers never depend on the other streams of a batch.
public final class FusedWeights: @unchecked Sendable {
    // Unchecked: every buffer is written in `init` only.
    public let model: CharModel
    public let precision: WeightPrecision
    /// Per layer, the input elements before h in the vector the fused weights multiply
    /// (0 for layer 0 when `inputTable` replaces its input product).
    public let inputSizes: [Int]
    /// Per layer, the row stride of the [x; h] rows the fused weights multiply: I_l + H, padded
    /// with zeros in bf16 and int8 far enough for the `WeightMatrix` products of the layer (over
    /// [x; h]) and of the decoder (over h).
    public let strides: [Int]
    /// fp32, per layer, (I_l + H) × W: row k holds every fused gate's weight on element k of [x; h].
    /// Empty in bf16 and int8.
    public let fused: [FloatBuffer]
    /// bf16 and int8, per layer, W × (I_l + H). Empty in fp32.
    public let reduced: [WeightMatrix]
    /// bf16 and int8: the decoder, V × H, in fp32 (nil in fp32, where BLAS reads it from the parameters).
    public let decoder: WeightMatrix?
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

    /// Whether layer 0's input product is tabulated: the table holds V/E times as many numbers
    /// as W_ih_l0, worth it up to four times.
    static func tabulated(_ c: ModelConfiguration) -> Bool { c.vocabularySize <= 4 * c.embeddingSize }

    /// Per layer, the input elements the fused weights multiply before h.
    static func inputSizes(_ c: ModelConfiguration) -> [Int] {
        (0..<c.layers).map { $0 > 0 ? c.hiddenSize : (tabulated(c) ? 0 : c.embeddingSize) }
    }

    /// Bytes of weights one step of one stream reads at `precision`: the fused products and the decoder.
    public static func bytesPerStep(_ c: ModelConfiguration, precision: WeightPrecision) -> Int {
        let width = blocks(c.cell).count * c.hiddenSize
        let recurrent = inputSizes(c).reduce(0) { total, input in
            let columns = input + c.hiddenSize
            switch precision {
            case .fp32: return total + columns * width * 4
            case .bf16, .int8:
                return total + width * (WeightMatrix.stride(columns: columns) * precision.bytesPerWeight + (precision == .int8 ? 4 : 0))
            }
        }
        return recurrent + c.vocabularySize * c.hiddenSize * 4
    }

    /// The weights of `model` at `precision`. `workspace` (fp32 only; ignored otherwise) is
    /// memory to carve the fused weights and the input table out of when they fit in it.
    public init(model: CharModel, precision: WeightPrecision = .fp32, workspace: FloatBuffer? = nil) {
        var arena = ScratchArena(borrowing: precision == .fp32 ? workspace : nil)
        let c = model.configuration, layout = model.layout, p = model.parameters
        let h = c.hiddenSize, blocks = Self.blocks(c.cell), width = blocks.count * h
        self.model = model
        self.precision = precision
        self.width = width
        let tabulated = Self.tabulated(c)
        let inputSizes = Self.inputSizes(c)
        self.inputSizes = inputSizes
        strides = inputSizes.map {
            precision == .fp32 ? $0 + h : max(WeightMatrix.stride(columns: $0 + h), $0 + WeightMatrix.stride(columns: h))
        }
        func offset(_ tensor: ParameterLayout.RecurrentTensor, _ l: Int) -> Int {
            layout.offset(ParameterLayout.name(tensor, layer: l, cell: c.cell))
        }
        /// Layer l's fused weights over `input` input elements, with the hidden ones after them
        /// when `hidden`: (input [+ H]) × W when `transposed`, else W × (input [+ H]) in its own memory.
        func fusedMatrix(_ l: Int, input: Int, hidden: Bool, transposed: Bool = true) -> FloatBuffer {
            let ih = offset(.weightIH, l), hh = offset(.weightHH, l), columns = input + (hidden ? h : 0)
            let matrix = transposed ? arena.buffer(count: columns * width) : FloatBuffer(count: columns * width)
            func place(_ unit: Int, _ k: Int) -> Int { transposed ? k * width + unit : unit * columns + k }
            for (q, block) in blocks.enumerated() {
                for u in 0..<h {
                    let unit = q * h + u
                    if let i = block.input {
                        for k in 0..<input { matrix[place(unit, k)] = p[ih + (i * h + u) * input + k] }
                    }
                    if hidden, let j = block.hidden {
                        for k in 0..<h { matrix[place(unit, input + k)] = p[hh + (j * h + u) * h + k] }
                    }
                }
            }
            return matrix
        }
        if precision == .fp32 {
            fused = (0..<c.layers).map { fusedMatrix($0, input: inputSizes[$0], hidden: true) }
            reduced = []
        } else {
            fused = []
            reduced = (0..<c.layers).map { l in
                let columns = inputSizes[l] + h, matrix = fusedMatrix(l, input: inputSizes[l], hidden: true, transposed: false)
                return withExtendedLifetime(matrix) {
                    WeightMatrix(precision, weights: matrix.pointer, rows: width, columns: columns, rowStride: columns)
                }
            }
        }
        decoder = precision == .fp32 ? nil
            : WeightMatrix(.fp32, weights: p.pointer + layout.offset("decoder.weight"), rows: c.vocabularySize, columns: h, rowStride: h)
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

    /// g[r·W ..< (r+1)·W] += fused weights of layer `l` × row r of `x` (stride `strides[l]`)
    /// for every row r < `rows`: BLAS's GEMV for one row and GEMM for more in fp32, the
    /// reduced-precision product (one pass over the weights for all rows) otherwise.
    public func multiplyLayer(_ l: Int, rows: Int, _ x: UnsafePointer<Float>, into g: UnsafeMutablePointer<Float>) {
        let columns = inputSizes[l] + model.configuration.hiddenSize
        if precision != .fp32 {
            reduced[l].multiply(streams: rows, x, ldx: strides[l], into: g, ldy: width)
        } else if rows == 1 {
            BLAS.gemv(transpose: true, rows: columns, columns: width, fused[l].pointer, lda: width, x, beta: 1, g)
        } else {
            BLAS.gemm(m: rows, n: width, k: columns, x, lda: strides[l], fused[l].pointer, ldb: width, beta: 1, g, ldc: width)
        }
    }

    /// logits[r·V ..< (r+1)·V] = decoder bias + decoder weights × row r of `top` (stride
    /// `ldTop`, the top layer's h) for every row r < `rows`.
    public func decode(rows: Int, _ top: UnsafePointer<Float>, ldTop: Int, into logits: UnsafeMutablePointer<Float>) {
        let p = model.parameters.pointer, v = model.configuration.vocabularySize, h = model.configuration.hiddenSize
        for r in 0..<rows { (logits + r * v).update(from: p + decoderBias, count: v) }
        if let decoder {
            decoder.multiply(streams: rows, top, ldx: ldTop, into: logits, ldy: v)
        } else if rows == 1 {
            BLAS.gemv(rows: v, columns: h, p + decoderWeight, lda: h, top, beta: 1, logits)
        } else {
            BLAS.gemm(transposeB: true, m: rows, n: v, k: h, top, lda: ldTop, p + decoderWeight, ldb: h, beta: 1, logits, ldc: v)
        }
    }
}
