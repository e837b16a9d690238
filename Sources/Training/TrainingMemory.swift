import Foundation
import Network

/// How much memory a training run allocates, roughly, so that a model or batch too big for
/// the machine is refused up front with advice, instead of failing inside an allocation
/// (which Swift reports with a trap and a stack trace).
public enum TrainingMemory {
    /// Estimated bytes for training `model` on `batch` streams of `sequenceLength` steps:
    /// weights, gradients and optimizer moments, plus the unrolled network's per-character
    /// buffers for training and for evaluation (each B·T rows). Measured against the peak
    /// resident size of real runs, it errs on the high side by about a third.
    public static func estimatedBytes(model c: ModelConfiguration, batch: Int, sequenceLength: Int) -> Double {
        let v = Double(c.vocabularySize), e = Double(c.embeddingSize), h = Double(c.hiddenSize)
        let layers = Double(c.layers)
        // Weights, gradients and up to two optimizer moments (Adam).
        let weightFloats = 4 * Double(ParameterLayout(c).totalCount)
        // Per character in flight, per layer: gates and their gradients (8h), cell, hidden and
        // tanh(cell) (3h), the input gradient (≤ h or e), and dropout's output and mask (2h);
        // then the embedding, logits and their gradients (2v), the top gradient (h).
        let perRow = layers * (13 * h + max(h, e)) + e + 2 * v + h
        let rows = Double(batch) * Double(sequenceLength)
        // Training and evaluation each unroll B·T characters.
        return 4 * (weightFloats + 2 * rows * perRow)
    }

    /// Throws a usage error when the run would need more than `available` bytes
    /// (by default the machine's physical memory).
    public static func check(model: ModelConfiguration, batch: Int, sequenceLength: Int,
                             available: Double = Double(ProcessInfo.processInfo.physicalMemory)) throws {
        let needed = estimatedBytes(model: model, batch: batch, sequenceLength: sequenceLength)
        guard needed <= available else {
            throw UsageError(String(format: "training this model (%d×%d LSTM) with --batch %d and --seq %d needs about %@ of memory, and this machine has %@; use a smaller --hidden, --layers, --batch or --seq",
                                    model.layers, model.hiddenSize, batch, sequenceLength,
                                    formatGigabytes(needed), formatGigabytes(available)))
        }
    }

    static func formatGigabytes(_ bytes: Double) -> String {
        bytes >= 1e12 ? String(format: "%.0f GB", bytes / 1e9) : String(format: "%.1f GB", bytes / 1e9)
    }
}
