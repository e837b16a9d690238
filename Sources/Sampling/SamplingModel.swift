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

    /// A generator over this model. It also sets the BLAS thread count for its batch-1 steps.
    public func generator(settings: SamplingSettings, seed: UInt64) -> TextGenerator {
        BLAS.threads = Self.threads(parameters: checkpoint.model.parameterCount)
        return TextGenerator(model: checkpoint.model, vocabulary: checkpoint.vocabulary, settings: settings, seed: seed)
    }

    /// Threads for one sampling step. The matrix–vector products of a small model run fastest
    /// on one thread (splitting costs more than it saves). A large one gains from more cores,
    /// but only from idle ones: each product waits for its slowest thread, so on a busy
    /// machine threads lose (2×512 on 2 cores at load 6: 1 thread ~1,500 chars/s, 2 threads
    /// ~950). So: one thread per core left idle by the 1-minute load average, at least one.
    /// The text does not depend on this: BLAS splits the products by output rows.
    public static func threads(parameters: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount,
                               load: Double = currentLoad()) -> Int {
        guard parameters >= multithreadedFrom else { return 1 }
        return max(1, min(cores, cores - Int(load.rounded())))
    }

    /// Parameters from which one sampling step is worth splitting across threads.
    public static let multithreadedFrom = 1 << 20

    /// The 1-minute load average (0 where the system does not say).
    public static func currentLoad() -> Double {
        var load = [0.0]
        return getloadavg(&load, 1) == 1 ? load[0] : 0
    }

    /// "2×128 LSTM, 65 characters, step 5000, best val 1.4523"
    public var summary: String {
        let m = checkpoint.model.configuration
        var parts = ["\(m.layers)×\(m.hiddenSize) \(m.cell.displayName)", "\(m.vocabularySize) characters"]
        if let position = checkpoint.position {
            parts.append("step \(position.step)")
            if let best = position.bestValidationLoss { parts.append(String(format: "best val %.4f", best)) }
        }
        return parts.joined(separator: ", ")
    }
}
