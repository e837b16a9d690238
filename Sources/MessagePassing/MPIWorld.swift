import CMPI
import Foundation

/// The processes of one `mpirun` job (MPI_COMM_WORLD), on Open MPI loaded at run time (see
/// `cmpi.h` for why it is not linked). Only the main thread calls it.
///
/// MPI's default error handler ends the whole job when a call fails (a peer died, a link
/// broke), so a call that returns has succeeded; a non-zero status that does come back ends
/// the job too, after one line saying which call failed.
public final class MPIWorld {
    public let rank: Int
    public let size: Int
    /// The host this rank runs on, as MPI names it.
    public let hostName: String

    /// Whether `mpirun` (or another Open MPI launcher) started this process: it sets
    /// OMPI_COMM_WORLD_SIZE, before MPI is loaded.
    public static var launched: Bool { ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] != nil }

    /// This process's rank as the launcher announced it (0 when not launched by mpirun), for
    /// deciding who speaks before MPI is initialised.
    public static var launchedRank: Int {
        ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_RANK"].flatMap { Int($0) } ?? 0
    }

    /// Ranks on this host, as the launcher announced them (1 when not launched by mpirun).
    public static var launchedLocalSize: Int {
        ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap { Int($0) } ?? 1
    }

    /// Loads Open MPI and joins the job.
    /// - Throws: `MPIUnavailable` when libmpi cannot be loaded or initialised.
    public init() throws {
        if let problem = cmpi_load() { throw MPIUnavailable(description: String(cString: problem)) }
        let status = cmpi_init()
        guard status == 0 else { throw MPIUnavailable(description: "MPI_Init_thread failed: \(Self.describe(status))") }
        var rank: Int32 = 0, size: Int32 = 0
        Self.check(cmpi_rank(&rank), "MPI_Comm_rank")
        Self.check(cmpi_size(&size), "MPI_Comm_size")
        self.rank = Int(rank)
        self.size = Int(size)
        var name = [CChar](repeating: 0, count: 257)
        Self.check(cmpi_processor_name(&name, Int32(name.count)), "MPI_Get_processor_name")
        hostName = String(cString: name)
    }

    /// Leaves the job; the last MPI call of the process.
    public func finalize() { _ = cmpi_finalize() }

    /// Ends every process of the job with `status` (the others see it as a failure of rank `rank`).
    public func abort(status: Int32) -> Never {
        _ = cmpi_abort(status)
        exit(status)
    }

    /// Sums `count` floats over all ranks, in place; every rank ends with the same values.
    public func sum(_ values: UnsafeMutablePointer<Float>, count: Int) {
        for (start, length) in Self.chunks(count) {
            Self.check(cmpi_allreduce_sum_float(values + start, length), "MPI_Allreduce")
        }
    }

    /// The largest of each value over all ranks, in place.
    public func maximum(_ values: inout [Int32]) {
        let count = Int32(values.count)
        values.withUnsafeMutableBufferPointer { Self.check(cmpi_allreduce_max_int($0.baseAddress!, count), "MPI_Allreduce") }
    }

    /// Rank 0's bytes, on every rank (the others' `bytes` are ignored).
    public func broadcast(_ bytes: [UInt8]) -> [UInt8] {
        var length = [Int32(rank == 0 ? bytes.count : 0)]
        length.withUnsafeMutableBytes { Self.check(cmpi_broadcast_bytes($0.baseAddress!, 4, 0), "MPI_Bcast") }
        var buffer = rank == 0 ? bytes : [UInt8](repeating: 0, count: Int(length[0]))
        if !buffer.isEmpty {
            buffer.withUnsafeMutableBytes { Self.check(cmpi_broadcast_bytes($0.baseAddress!, Int32($0.count), 0), "MPI_Bcast") }
        }
        return buffer
    }

    /// Every rank's bytes (all of the same length), in rank order, on rank 0; empty elsewhere.
    public func gather(_ bytes: [UInt8]) -> [[UInt8]] {
        var received = [UInt8](repeating: 0, count: rank == 0 ? bytes.count * size : 0)
        bytes.withUnsafeBytes { sent in
            received.withUnsafeMutableBytes { into in
                Self.check(cmpi_gather_bytes(sent.baseAddress, Int32(sent.count), into.baseAddress, 0), "MPI_Gather")
            }
        }
        guard rank == 0 else { return [] }
        return (0..<size).map { Array(received[$0 * bytes.count ..< ($0 + 1) * bytes.count]) }
    }

    /// MPI counts are 32-bit: a longer buffer goes in pieces.
    static func chunks(_ count: Int) -> [(Int, Int32)] {
        let piece = Int(Int32.max / 2)
        return stride(from: 0, to: count, by: piece).map { ($0, Int32(min(piece, count - $0))) }
    }

    static func describe(_ status: Int32) -> String {
        var text = [CChar](repeating: 0, count: 512)
        cmpi_error_string(status, &text, Int32(text.count))
        return String(cString: text)
    }

    static func check(_ status: Int32, _ call: String) {
        guard status != 0 else { return }
        FileHandle.standardError.write(Data("charlstm: \(call) failed: \(describe(status)); ending the job\n".utf8))
        _ = cmpi_abort(1)
        exit(1)
    }
}

/// Open MPI could not be loaded or started; the description says what to install or check.
public struct MPIUnavailable: Error, CustomStringConvertible {
    public let description: String
}
