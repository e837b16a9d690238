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

    /// A checkpoint read from `path` and then changed in memory (a model adapted to a text).
    public init(path: String, checkpoint: Checkpoint) {
        self.path = path
        self.checkpoint = checkpoint
    }

    /// A generator over this model. A large model's steps run on the thread count that a
    /// `ThreadTuner` finds fastest as they go; a small one's on one thread.
    public func generator(settings: SamplingSettings, seed: UInt64) -> TextGenerator {
        let generator = TextGenerator(model: checkpoint.model, vocabulary: checkpoint.vocabulary, settings: settings, seed: seed)
        BLAS.threads = 1
        if checkpoint.model.parameterCount >= Self.multithreadedFrom,
           let candidates = ThreadTuner.candidates(cores: ProcessInfo.processInfo.activeProcessorCount) {
            generator.state.threadTuner = ThreadTuner(candidates: candidates)
        }
        return generator
    }

    /// Parameters from which one sampling step may be worth splitting across threads. Below it
    /// a step takes microseconds and one thread always wins (waking a second costs more than
    /// it saves), so it is not even tried.
    public static let multithreadedFrom = 1 << 20

    /// "2×128 LSTM, 65 characters, step 5000, best val 1.4523"
    public var summary: String { Self.summary(of: checkpoint) }

    /// The `summary` of any checkpoint, also one only in memory.
    public static func summary(of checkpoint: Checkpoint) -> String {
        let m = checkpoint.model.configuration
        var parts = ["\(m.layers)×\(m.hiddenSize) \(m.cell.displayName)", "\(m.vocabularySize) characters"]
        if let position = checkpoint.position {
            parts.append("step \(position.step)")
            if let best = position.bestValidationLoss { parts.append(String(format: "best val %.4f", best)) }
        }
        return parts.joined(separator: ", ")
    }
}
