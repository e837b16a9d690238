import Checkpoints
import Foundation
import Kernels

/// A checkpoint opened for sampling, with what a user wants to know about it.
public struct SamplingModel {
    public let path: String
    public let checkpoint: Checkpoint

    /// Reads and validates the checkpoint at `path` (a file; see `resolveCheckpointArgument`).
    public init(path: String) throws {
        self.path = path
        checkpoint = try Checkpoint.read(from: path)
    }

    /// A generator over this model. It also sets the BLAS thread count for batch-1 steps:
    /// the matrix–vector products of a small model run fastest on one thread (splitting costs
    /// more than it saves), larger ones gain from all cores.
    public func generator(settings: SamplingSettings, seed: UInt64) -> TextGenerator {
        BLAS.threads = checkpoint.model.parameterCount < Self.multithreadedFrom
            ? 1 : ProcessInfo.processInfo.activeProcessorCount
        return TextGenerator(model: checkpoint.model, vocabulary: checkpoint.vocabulary, settings: settings, seed: seed)
    }

    /// Parameters from which one sampling step is worth splitting across threads.
    public static let multithreadedFrom = 1 << 20

    /// "2×128 LSTM, 65 characters, step 5000, best val 1.4523"
    public var summary: String {
        let m = checkpoint.model.configuration
        var parts = ["\(m.layers)×\(m.hiddenSize) LSTM", "\(m.vocabularySize) characters"]
        if let position = checkpoint.position {
            parts.append("step \(position.step)")
            if let best = position.bestValidationLoss { parts.append(String(format: "best val %.4f", best)) }
        }
        return parts.joined(separator: ", ")
    }
}
