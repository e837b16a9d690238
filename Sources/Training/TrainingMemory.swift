import Foundation
import RecurrentNetwork

/// How much memory a training run allocates, roughly, so that a model or batch too big for
/// the machine is refused up front with advice, instead of failing inside an allocation
/// (which Swift reports with a trap and a stack trace).
public enum TrainingMemory {
    /// Activation memory one update may hold at once. Above it the streams are trained in
    /// sequential slices (micro-batches) whose gradients are summed: the same update, with the
    /// per-character buffers of only one slice alive. 96 MiB splits the 2×512 benchmark model
    /// (batch 64, seq 64) in two, and trains the 2×128 one in one piece.
    public static let activationBudget = 96.0 * 1024 * 1024

    /// Bytes of per-character buffers of the unrolled network, per stream and time step: per
    /// layer the gates (G·h, their gradients overwrite them) and the states (h, and the LSTM's
    /// cell h; the GRU keeps its hidden-side n product, h, instead), the input gradient (the
    /// layer's input width) and, with dropout, its output and mask (2h); then the embedding
    /// (and its mask, with embedding dropout), the logits and their gradients (2v), and the top gradient (h).
    public static func activationBytesPerRow(model c: ModelConfiguration) -> Double {
        let v = Double(c.vocabularySize), e = Double(c.embeddingSize), h = Double(c.hiddenSize)
        let dropout = c.dropout > 0 ? 2 * h : 0
        let embedding = c.embeddingDropout > 0 ? 2 * e : e
        let cell = Double(c.cell.gateCount + (c.cell == .rnn ? 1 : 2)) * h
        let firstInput = e, otherInputs = Double(c.layers - 1) * h
        return 4 * (Double(c.layers) * (cell + dropout) + firstInput + otherInputs + embedding + 2 * v + h)
    }

    /// Streams a slice keeps at least (when the batch has that many): fewer rows per thread
    /// make the recurrent products inefficient, which costs more time than the memory saved.
    public static let minimumSliceStreams = 32

    /// Sequential slices one update's `batch` streams are split into: the fewest (a divisor of
    /// the batch) that bring the activations of one slice under `budget`, but never so many
    /// that a slice has fewer than `minimumSliceStreams` streams.
    public static func microBatches(model: ModelConfiguration, batch: Int, sequenceLength: Int,
                                    budget: Double = activationBudget,
                                    minimumStreams: Int = minimumSliceStreams) -> Int {
        let perStream = activationBytesPerRow(model: model) * Double(sequenceLength)
        var chosen = 1
        for slices in 1...batch where batch % slices == 0 {
            chosen = slices
            if perStream * Double(batch / slices) <= budget { break }
            if batch / slices <= minimumStreams { break }
        }
        return chosen
    }

    /// Estimated bytes for training `model` on `batch` streams of `sequenceLength` steps:
    /// weights, gradients and optimizer moments, the packed recurrent weights (one layer's), and the
    /// activations of one micro-batch (evaluation borrows the training network).
    public static func estimatedBytes(model c: ModelConfiguration, batch: Int, sequenceLength: Int) -> Double {
        let weightFloats = 4 * Double(ParameterLayout(c).totalCount)
        let packed = Double(c.cell.gateCount) * Double(c.hiddenSize) * Double(c.hiddenSize)
        let slices = Double(microBatches(model: c, batch: batch, sequenceLength: sequenceLength))
        let rows = Double(batch) * Double(sequenceLength) / slices
        return 4 * (weightFloats + packed) + rows * activationBytesPerRow(model: c)
    }

    /// Throws a usage error when the run would need more than `available` bytes
    /// (by default the machine's physical memory).
    public static func check(model: ModelConfiguration, batch: Int, sequenceLength: Int,
                             available: Double = Double(ProcessInfo.processInfo.physicalMemory)) throws {
        let needed = estimatedBytes(model: model, batch: batch, sequenceLength: sequenceLength)
        guard needed <= available else {
            throw UsageError(String(format: "training this model (%d×%d %@) with --batch %d and --seq %d needs about %@ of memory, and this machine has %@; use a smaller --hidden, --layers, --batch or --seq",
                                    model.layers, model.hiddenSize, model.cell.displayName, batch, sequenceLength,
                                    formatGigabytes(needed), formatGigabytes(available)))
        }
    }

    static func formatGigabytes(_ bytes: Double) -> String {
        bytes >= 1e12 ? String(format: "%.0f GB", bytes / 1e9) : String(format: "%.1f GB", bytes / 1e9)
    }
}
