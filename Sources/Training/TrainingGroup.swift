import Foundation

/// The processes that train one model together, data-parallel (the scheme of PyTorch's
/// DistributedDataParallel and Horovod): each owns a contiguous share of the streams, and
/// every step ends with one sum of their gradients, after which all take the same update.
/// `charlstm` joins an Open MPI job when `mpirun` starts it; one process alone is `SingleProcess`.
///
/// Every rank must make the same calls in the same order; rank 0 is the one that evaluates,
/// prints and writes files.
public protocol TrainingGroup: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// Sums `count` floats over the ranks, in place; every rank ends with the same values.
    func sum(_ values: UnsafeMutablePointer<Float>, count: Int)
    /// Rank 0's bytes, on every rank.
    func broadcast(_ bytes: [UInt8]) -> [UInt8]
    /// Every rank's bytes (the same length on all), in rank order, on rank 0; empty elsewhere.
    func gather(_ bytes: [UInt8]) -> [[UInt8]]
}

/// Training in this process alone: the group of one, whose collectives do nothing.
public final class SingleProcess: TrainingGroup {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func sum(_ values: UnsafeMutablePointer<Float>, count: Int) {}
    public func broadcast(_ bytes: [UInt8]) -> [UInt8] { bytes }
    public func gather(_ bytes: [UInt8]) -> [[UInt8]] { [bytes] }
}

/// Thrown on the ranks other than 0 when the group stops for a failure that rank 0 reports:
/// they end with the same status and say nothing, so the user reads one line.
public struct StoppedWithRankZero: Error {
    public let status: Int32
    public init(status: Int32) { self.status = status }
}

/// The ranks' copies of the model differ: a step's update was not the same everywhere.
public struct ReplicasDisagree: Error, CustomStringConvertible {
    public let description: String
}

extension TrainingGroup {
    var isLeader: Bool { rank == 0 }

    /// Rank 0's value of a Double, on every rank.
    func broadcast(_ value: Double) -> Double {
        let bits = broadcast(withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) })
        return Double(bitPattern: UInt64(littleEndian: bits.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }))
    }

    /// Rank 0's string (or nil), on every rank.
    public func broadcast(_ text: String?) -> String? {
        let bytes = broadcast(text.map { [1] + Array($0.utf8) } ?? [0])
        return bytes.first == 1 ? String(decoding: bytes.dropFirst(), as: UTF8.self) : nil
    }

    /// Runs `work` on rank 0 only and tells every rank how it went: when it threw, rank 0
    /// rethrows its error and the others throw `StoppedWithRankZero` (status 1), so no rank
    /// goes on to the next step's sum alone.
    func onLeader(_ work: () throws -> Void) throws {
        var failure: Error?
        if isLeader {
            do { try work() } catch { failure = error }
        }
        guard broadcast([failure == nil ? 0 : 1]) == [1] else { return }
        throw failure ?? StoppedWithRankZero(status: 1)
    }
}
