import Checkpoints
import Foundation
import Kernels
import RecurrentNetwork

/// A checkpoint opened for sampling, with what a user wants to know about it.
public struct SamplingModel {
    public let path: String
    public let checkpoint: Checkpoint
    /// The precision of the weights its generators multiply (quantised from the checkpoint's
    /// fp32 ones when a generator is made; the checkpoint is not changed).
    public var precision: WeightPrecision = .fp32

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

    /// A generator over this model at `precision`. A large model's steps run on the thread
    /// count that a `ThreadTuner` finds fastest as they go; a small one's on one thread.
    public func generator(settings: SamplingSettings, seed: UInt64) -> TextGenerator {
        let generator = TextGenerator(model: checkpoint.model, vocabulary: checkpoint.vocabulary, settings: settings, seed: seed,
                                      precision: precision)
        generator.state.threadTuner = threadTuner()
        return generator
    }

    /// `count` texts stepped together from one prompt at `precision`, text i drawing with seed
    /// `firstSeed + i` (see `SampleBatch`), its steps threaded as a generator's are.
    public func sampleBatch(count: Int, settings: SamplingSettings, firstSeed: UInt64) -> SampleBatch {
        let batch = SampleBatch(weights: FusedWeights(model: checkpoint.model, precision: precision), vocabulary: checkpoint.vocabulary,
                                settings: settings, seeds: (0..<count).map { firstSeed &+ UInt64($0) })
        // The batch sets its own `InferenceBatch.threads` from the tuner's choice.
        batch.threadTuner = threadTuner(setThreads: { _ in })
        return batch
    }

    /// The tuner for this model's steps: nil (and one thread) for a small model. In fp32 it
    /// picks BLAS's thread count; at a reduced precision the `WorkerPool`'s (BLAS then runs
    /// nothing big enough to thread).
    private func threadTuner(setThreads: ((Int) -> Void)? = nil) -> ThreadTuner? {
        BLAS.threads = 1
        WorkerPool.shared.parallelism = 1
        guard checkpoint.model.parameterCount >= Self.multithreadedFrom,
              let candidates = ThreadTuner.candidates(cores: ProcessInfo.processInfo.activeProcessorCount) else { return nil }
        let apply = setThreads ?? (precision == .fp32 ? { BLAS.threads = $0 } : { WorkerPool.shared.parallelism = $0 })
        return ThreadTuner(candidates: candidates, setThreads: apply)
    }

    /// Parameters from which one sampling step may be worth splitting across threads. Below it
    /// a step takes microseconds and one thread always wins (waking a second costs more than
    /// it saves), so it is not even tried.
    public static let multithreadedFrom = 1 << 20

    /// "2×128 LSTM, 65 characters, step 5000, best val 1.4523"
    public var summary: String { Self.summary(of: checkpoint) }

    /// "12.6 MB": a byte count as messages show it (decimal units).
    public static func formatBytes(_ bytes: Int) -> String {
        bytes >= 1_000_000 ? String(format: "%.1f MB", Double(bytes) / 1e6) : String(format: "%.0f kB", Double(bytes) / 1e3)
    }

    /// Bytes of weights one character of one text reads at `precision`.
    public var weightBytesPerCharacter: Int { FusedWeights.bytesPerStep(checkpoint.model.configuration, precision: precision) }

    /// "int8 weights": the precision its generators multiply.
    public var precisionSummary: String { "\(precision.rawValue) weights" }

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
