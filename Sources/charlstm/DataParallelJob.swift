import Foundation
import MessagePassing
import Training

extension MPIWorld: TrainingGroup {}

/// The `mpirun` job this process is a rank of, if any: `charlstm train` under `mpirun -np N`
/// trains data-parallel with the other N−1 ranks (see `TrainingGroup`); started on its own, it
/// is a group of one and never loads MPI.
enum DataParallelJob {
    nonisolated(unsafe) private static var world: MPIWorld?

    /// The group to train in, and this host's name for messages.
    static func join() throws -> (group: any TrainingGroup, host: String) {
        guard MPIWorld.launched else { return (SingleProcess(), ProcessInfo.processInfo.hostName) }
        let world = try MPIWorld()
        self.world = world
        return (world, world.hostName)
    }

    /// Under mpirun, rank 0 speaks for the job. The other ranks meet the same usage errors (they
    /// run the same command line) or hand theirs to rank 0 (`GroupSetup`), so they stay silent;
    /// known from the launcher's environment, so it holds before MPI is loaded too.
    static var isSilentRank: Bool { MPIWorld.launched && MPIWorld.launchedRank != 0 }

    /// Default threads per rank: the cores this process may run on, shared with the other
    /// ranks on its host unless mpirun bound each rank to cores of its own.
    static var defaultThreads: Int {
        let usable = ProcessInfo.processInfo.activeProcessorCount
        guard MPIWorld.launched else { return usable }
        let bound = usable < ProcessInfo.processInfo.processorCount
        return bound ? usable : max(1, usable / MPIWorld.launchedLocalSize)
    }

    /// Leaves the job (MPI_Finalize), so that mpirun sees an orderly end; a no-op otherwise.
    static func leave() {
        world?.finalize()
        world = nil
    }
}
