import Kernels

/// A model unrolled over up to `maxSteps` time steps of `batch` parallel streams: the
/// workspace for truncated BPTT training and for batched evaluation.
///
/// Each `forward` continues from the state the previous one ended in (carried, detached);
/// `resetState()` starts the streams afresh. Inputs and targets are time-major:
/// element `t·batch + b` is step t of stream b.
public final class UnrolledNetwork {
    public let model: CharModel
    public let batch: Int
    public let maxSteps: Int
    public let layers: [any RecurrentLayer]

    /// Whether layer 0 reads characters through its projected embedding table (see
    /// `LayerInput.tokens`) rather than through looked-up embedding rows. The table pays when
    /// there are at least twice as many rows as characters, as in any real batch; embedding
    /// dropout needs the rows, each masked apart.
    public let projectsEmbeddingTable: Bool
    /// Embedded inputs, (T·B)×E, when the table is not used.
    let embedded: FloatBuffer
    /// With embedding dropout, the mask the last training forward applied to `embedded`.
    let embeddingMask: FloatBuffer
    /// Weight drop: each layer's W_hh tensor, its mask for the current step (0 or 1/(1−p)),
    /// and the parameters with those masks applied, which a training forward and its backward
    /// read instead of the model's. `weightMaskSeed` is the step the masks were drawn for.
    let recurrentWeights: [ParameterLayout.Tensor]
    let weightMasks: [FloatBuffer]
    let droppedWeights: FloatBuffer
    private var weightMaskSeed: UInt64?
    /// Holds a W_hh gradient while backward forms the masked one (weight drop).
    private lazy var savedWeightGradient = FloatBuffer(count: recurrentWeights.first?.count ?? 0)
    /// The parameters the last forward read: the model's, or `droppedWeights`.
    private var forwardWeights: UnsafeMutablePointer<Float>
    /// Each layer's output after dropout, (T·B)×H, and the mask that made it (0 or 1/(1−p)).
    let droppedOutputs: [FloatBuffer]
    let dropoutMasks: [FloatBuffer]
    /// Decoder logits, (T·B)×V.
    public let logits: FloatBuffer
    /// Training-only buffers, allocated on first use so an evaluation-only network stays small:
    /// ∂loss/∂logits, (T·B)×V, and ∂loss/∂(top layer's output after dropout), (T·B)×H.
    private(set) lazy var logitGradients = FloatBuffer(count: batch * maxSteps * model.configuration.vocabularySize)
    private(set) lazy var topGradients = FloatBuffer(count: batch * maxSteps * model.configuration.hiddenSize)
    /// The characters of the last forward, (T·B), kept for backward; a stable allocation so
    /// layer 0 can read them through a pointer.
    private let inputTokens: UnsafeMutablePointer<Int32>
    private var dropoutActive = false, embeddingDropoutActive = false, weightDropActive = false

    public init(model: CharModel, batch: Int, maxSteps: Int, projectsEmbeddingTable: Bool? = nil) {
        let c = model.configuration
        self.projectsEmbeddingTable = c.embeddingDropout == 0 && (projectsEmbeddingTable ?? (2 * c.vocabularySize <= batch * maxSteps))
        self.model = model
        self.batch = batch
        self.maxSteps = maxSteps
        let packed = FloatBuffer(count: RecurrentLayerCore.packedCount(cell: c.cell, hiddenSize: c.hiddenSize))
        layers = (0..<c.layers).map {
            c.cell.makeLayer(inputSize: $0 == 0 ? c.embeddingSize : c.hiddenSize, hiddenSize: c.hiddenSize,
                             batch: batch, maxSteps: maxSteps, layerIndex: $0, layout: model.layout, packedWeights: packed)
        }
        let rows = batch * maxSteps
        let dropout = c.dropout > 0
        embedded = FloatBuffer(count: self.projectsEmbeddingTable ? 0 : rows * c.embeddingSize)
        embeddingMask = FloatBuffer(count: c.embeddingDropout > 0 ? rows * c.embeddingSize : 0)
        recurrentWeights = c.weightDrop > 0
            ? (0..<c.layers).map { model.layout.tensor(ParameterLayout.name(.weightHH, layer: $0, cell: c.cell)) } : []
        weightMasks = recurrentWeights.map { FloatBuffer(count: $0.count) }
        droppedWeights = FloatBuffer(count: c.weightDrop > 0 ? model.parameterCount : 0)
        forwardWeights = model.parameters.pointer
        droppedOutputs = dropout ? (0..<c.layers).map { _ in FloatBuffer(count: rows * c.hiddenSize) } : []
        dropoutMasks = dropout ? (0..<c.layers).map { _ in FloatBuffer(count: rows * c.hiddenSize) } : []
        logits = FloatBuffer(count: rows * c.vocabularySize)
        inputTokens = .allocate(capacity: rows)
        inputTokens.initialize(repeating: 0, count: rows)
    }

    deinit { inputTokens.deallocate() }

    public func resetState() { layers.forEach { $0.resetState() } }

    /// Memory the network needs only inside a pass: layer 0's gate activations, which every
    /// forward rewrites before reading. Between passes others may use it as scratch (a
    /// training run's sample does); the carried state lives elsewhere and is not touched.
    public var idleWorkspace: FloatBuffer { layers[0].core.gates }

    /// The names of the carried state of a model with `configuration`: `h_l<k>` for every cell,
    /// and `c_l<k>` for the LSTM's memory cells.
    public static func carriedStateNames(_ configuration: ModelConfiguration) -> [String] {
        (0..<configuration.layers).flatMap { l in configuration.cell.stateNames.map { "\($0)_l\(l)" } }
    }

    /// The state the next `forward` will start from, by name (see `carriedStateNames`), each
    /// batch×hidden. A checkpoint stores it so a resumed run continues mid-epoch exactly.
    public var carriedState: [String: [Float]] {
        var state = [String: [Float]]()
        let n = batch * model.configuration.hiddenSize
        for (l, layer) in layers.enumerated() {
            for (k, name) in model.configuration.cell.stateNames.enumerated() {
                state["\(name)_l\(l)"] = Array(UnsafeBufferPointer(start: layer.core.finalState(k), count: n))
            }
        }
        return state
    }

    /// Restores a state saved from `carriedState`; false (and nothing changed) when it does not fit.
    public func restoreCarriedState(_ state: [String: [Float]]) -> Bool {
        let n = batch * model.configuration.hiddenSize
        guard Self.carriedStateNames(model.configuration).allSatisfy({ state[$0]?.count == n }) else { return false }
        for (l, layer) in layers.enumerated() {
            layer.resetState()
            for (k, name) in model.configuration.cell.stateNames.enumerated() {
                state["\(name)_l\(l)"]!.withUnsafeBufferPointer { layer.core.states[k].pointer.update(from: $0.baseAddress!, count: n) }
            }
        }
        return true
    }

    /// The output of layer `l` as the next stage sees it (after dropout when it was applied).
    private func stageOutput(_ l: Int) -> UnsafeMutablePointer<Float> {
        dropoutActive ? droppedOutputs[l].pointer : layers[l].outputs
    }

    /// Runs `steps` steps and returns the summed cross-entropy (nats) over steps·batch
    /// predictions. With `training`, applies dropout (masks keyed by one number drawn from
    /// `rng`, see `DropoutKey`) and leaves ∂(mean loss)/∂logits ready for `backward`.
    @discardableResult
    public func forward(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, steps: Int,
                        training: Bool, rng: inout SeededGenerator) -> Double {
        forward(inputs: inputs, targets: targets, steps: steps, dropout: training ? DropoutKey(seed: rng.next()) : nil)
    }

    /// Runs `steps` steps and returns the summed cross-entropy (nats) over steps·batch
    /// predictions. With a `dropout` key (training), applies dropout, embedding dropout and
    /// weight drop with the masks that key gives these streams and leaves ∂(mean loss)/∂logits
    /// ready for `backward`.
    @discardableResult
    public func forward(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, steps: Int,
                        dropout: DropoutKey?) -> Double {
        let training = dropout != nil
        let c = model.configuration
        let rows = steps * batch, e = c.embeddingSize, h = c.hiddenSize, v = c.vocabularySize
        dropoutActive = training && c.dropout > 0
        embeddingDropoutActive = training && c.embeddingDropout > 0
        weightDropActive = training && c.weightDrop > 0
        forwardWeights = weightDropActive ? dropWeights(key: dropout!) : model.parameters.pointer
        let p = UnsafePointer(forwardWeights)
        let table = model.layout.offset("embedding.weight")
        for r in 0..<rows { inputTokens[r] = inputs[r] }
        if !projectsEmbeddingTable {
            for r in 0..<rows { embedded.at(r * e).update(from: p + table + Int(inputs[r]) * e, count: e) }
        }
        if embeddingDropoutActive, let dropout {
            drawMask(embeddingMask.pointer, width: e, steps: steps, probability: c.embeddingDropout, key: dropout.embedding)
            multiply(embedded.pointer, by: embeddingMask.pointer, count: rows * e)
        }
        var input = UnsafePointer(embedded.pointer)
        for (l, layer) in layers.enumerated() {
            layer.carryState()
            layer.forward(l == 0 ? firstLayerInput : .dense(input), steps: steps, parameters: p)
            if dropoutActive, let dropout {
                drawMask(dropoutMasks[l].pointer, width: h, steps: steps, probability: c.dropout, key: dropout.layer(l))
                let (x, m, out) = (layer.outputs, dropoutMasks[l].pointer, droppedOutputs[l].pointer)
                for k in 0..<rows * h { out[k] = x[k] * m[k] }
            }
            input = UnsafePointer(stageOutput(l))
        }
        let decoderW = p + model.layout.offset("decoder.weight"), decoderB = p + model.layout.offset("decoder.bias")
        let logits = self.logits
        let logitGradients = training ? self.logitGradients.pointer : nil
        let top = input
        // Each thread decodes and scores its own block of rows; the per-block losses are added
        // in block order so the total does not depend on timing.
        var partial = [Double](repeating: 0, count: Parallel.threads)
        partial.withUnsafeMutableBufferPointer { partial in
            Parallel.forEachPiece(rows, grain: 16) { piece, block in
                let r0 = block.lowerBound
                for r in block { logits.at(r * v).update(from: decoderB, count: v) }
                BLAS.gemm(transposeB: true, m: block.count, n: v, k: h, top + r0 * h, lda: h, decoderW, ldb: h, beta: 1,
                          logits.at(r0 * v), ldc: v)
                partial[piece] = SoftmaxCrossEntropy.loss(
                    logits: logits.at(r0 * v), targets: targets + r0, rows: block.count, vocabulary: v,
                    gradients: logitGradients.map { $0 + r0 * v }, scale: 1 / Float(rows))
            }
        }
        return partial.reduce(0, +)
    }

    /// Gradient flow (how far back the loss reaches): runs `steps` steps from the current state
    /// with dropout off, takes as loss the sum over the streams of the cross-entropy at the last
    /// step only, and backpropagates it. Leaves in `hiddenGradients[l]`, (steps·B)×H, the
    /// gradient of that loss with respect to layer l's output h(t) at every step, through both
    /// paths (the layer above and the next step). The streams are independent, so stream b's
    /// rows are ∂L_b/∂h_b. Parameter gradients are added to `gradients`. Returns the loss.
    @discardableResult
    public func backwardFromLastStep(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, steps: Int,
                                     hiddenGradients: [FloatBuffer], gradients: FloatBuffer) -> Double {
        let v = model.configuration.vocabularySize, h = model.configuration.hiddenSize
        precondition(hiddenGradients.count == layers.count && hiddenGradients.allSatisfy { $0.count >= steps * batch * h })
        var unused = SeededGenerator(seed: 0)
        forward(inputs: inputs, targets: targets, steps: steps, training: false, rng: &unused)
        let last = (steps - 1) * batch
        logitGradients.pointer.update(repeating: 0, count: last * v)
        let loss = SoftmaxCrossEntropy.loss(logits: logits.at(last * v), targets: targets + last, rows: batch,
                                            vocabulary: v, gradients: logitGradients.at(last * v), scale: 1)
        backward(gradients: gradients, hiddenGradients: hiddenGradients)
        return loss
    }

    /// Backpropagates the mean loss of the last training forward, adding (+=) every
    /// parameter's gradient into `gradients` (same layout as the parameters).
    public func backward(gradients: FloatBuffer) { backward(gradients: gradients, hiddenGradients: nil) }

    private func backward(gradients: FloatBuffer, hiddenGradients: [FloatBuffer]?) {
        let c = model.configuration, p = UnsafePointer(forwardWeights), dp = gradients.pointer
        let steps = layers[0].steps, rows = steps * batch
        let e = c.embeddingSize, h = c.hiddenSize, v = c.vocabularySize
        let top = stageOutput(c.layers - 1)
        // Decoder: dW += dLogitsᵀ·Y, db += Σ rows, dY = dLogits·W.
        let decoderW = model.layout.offset("decoder.weight"), decoderB = model.layout.offset("decoder.bias")
        let (logitGradients, topGradients) = (self.logitGradients, self.topGradients)
        Parallel.forEachRange(v, grain: 8) { characters in
            let a = characters.lowerBound
            BLAS.gemm(transposeA: true, m: characters.count, n: h, k: rows, logitGradients.at(a), lda: v, top, ldb: h,
                      beta: 1, dp + decoderW + a * h, ldc: h)
            columnSums(logitGradients.at(a), rows: rows, columns: characters.count, stride: v, addingTo: dp + decoderB + a)
        }
        Parallel.forEachRange(rows, grain: 16) { block in
            BLAS.gemm(m: block.count, n: h, k: v, logitGradients.at(block.lowerBound * v), lda: v, p + decoderW, ldb: h,
                      topGradients.at(block.lowerBound * h), ldc: h)
        }
        var outputGradients = topGradients.pointer
        for l in stride(from: c.layers - 1, through: 0, by: -1) {
            if dropoutActive { multiply(outputGradients, by: dropoutMasks[l].pointer, count: rows * h) }
            let table = dp + model.layout.offset("embedding.weight")
            let input = l == 0 ? firstLayerInput : .dense(stageOutput(l - 1))
            // The layer adds the gradient of the masked W_hh; the weights' own is that times the mask.
            let recurrent = weightDropActive ? recurrentWeights[l] : nil
            if let recurrent {
                savedWeightGradient.pointer.update(from: dp + recurrent.offset, count: recurrent.count)
                (dp + recurrent.offset).update(repeating: 0, count: recurrent.count)
            }
            layers[l].backward(outputGradients: outputGradients, input: input, parameters: p, gradients: dp,
                               embeddingGradient: table, hiddenGradients: hiddenGradients?[l].pointer)
            if let recurrent {
                let g = dp + recurrent.offset, m = weightMasks[l].pointer, saved = savedWeightGradient.pointer
                for k in 0..<recurrent.count { g[k] = g[k] * m[k] + saved[k] }
            }
            outputGradients = layers[l].inputGradients.pointer
        }
        guard !projectsEmbeddingTable else { return }
        if embeddingDropoutActive { multiply(outputGradients, by: embeddingMask.pointer, count: rows * e) }
        // Embedding: scatter-add each row's input gradient into its character's row.
        let table = model.layout.offset("embedding.weight")
        for r in 0..<rows {
            let row = dp + table + Int(inputTokens[r]) * e, g = outputGradients + r * e
            for k in 0..<e { row[k] += g[k] }
        }
    }

    /// What layer 0 reads: the characters through the embedding table, or the looked-up rows.
    private var firstLayerInput: LayerInput {
        guard projectsEmbeddingTable else { return .dense(embedded.pointer) }
        return .tokens(inputTokens, embedding: model.parameters.at(model.layout.offset("embedding.weight")),
                       vocabulary: model.configuration.vocabularySize)
    }

    /// Fills a dropout mask of time-major rows (row t·batch + b is step t of stream b), `width`
    /// units each, with 0 (probability `probability`) or 1/(1−p). Per sequence, every step of a
    /// stream takes the mask of its step 0.
    private func drawMask(_ mask: UnsafeMutablePointer<Float>, width: Int, steps: Int, probability: Float, key: DropoutKey) {
        let keep = 1 / (1 - probability), perSequence = model.configuration.effectiveDropoutMask == .sequence
        for t in 0..<steps {
            for b in 0..<batch {
                let row = mask + (t * batch + b) * width
                if perSequence, t > 0 {
                    row.update(from: mask + b * width, count: width)
                    continue
                }
                var units = key.units(step: t, stream: b)
                for k in 0..<width { row[k] = units.nextUnitFloat() < probability ? 0 : keep }
            }
        }
    }

    /// Weight drop: draws each layer's W_hh mask for the step `key` belongs to (once: the
    /// slices of a step share it) and returns the parameters with the masks applied.
    private func dropWeights(key: DropoutKey) -> UnsafeMutablePointer<Float> {
        let probability = model.configuration.weightDrop, keep = 1 / (1 - probability)
        if weightMaskSeed != key.seed {
            for (l, mask) in weightMasks.enumerated() {
                var units = key.recurrentWeights(layer: l)
                for k in 0..<mask.count { mask[k] = units.nextUnitFloat() < probability ? 0 : keep }
            }
            weightMaskSeed = key.seed
        }
        droppedWeights.pointer.update(from: model.parameters.pointer, count: model.parameterCount)
        for (tensor, mask) in zip(recurrentWeights, weightMasks) {
            multiply(droppedWeights.at(tensor.offset), by: mask.pointer, count: tensor.count)
        }
        return droppedWeights.pointer
    }

    private func multiply(_ x: UnsafeMutablePointer<Float>, by m: UnsafePointer<Float>, count: Int) {
        for k in 0..<count { x[k] *= m[k] }
    }
}
