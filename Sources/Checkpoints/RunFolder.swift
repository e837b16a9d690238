import Foundation

/// A training run's folder: `step-NNNNNNNN.safetensors` checkpoints, `best.safetensors`,
/// the CSV log `log.csv` and the loss curve `loss.svg`.
public struct RunFolder {
    public let path: String

    public init(path: String) { self.path = path }

    public static let bestName = "best.safetensors"
    public var bestPath: String { file(Self.bestName) }
    public var logPath: String { file("log.csv") }
    public var plotPath: String { file("loss.svg") }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    public func checkpointPath(step: Int) -> String {
        file("step-" + String(repeating: "0", count: max(0, 8 - String(step).count)) + "\(step).safetensors")
    }

    /// The step checkpoints present, oldest first, as (step, path).
    public func stepCheckpoints() -> [(step: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("step-"), name.hasSuffix(".safetensors"),
                  let step = Int(name.dropFirst(5).dropLast(12)) else { return nil }
            return (step, file(name))
        }.sorted { $0.0 < $1.0 }
    }

    /// The newest step checkpoint, the one `--resume` continues from.
    public var latestCheckpoint: String? { stepCheckpoints().last?.path }

    /// Deletes all but the newest `keep` step checkpoints (`best.safetensors` is a separate
    /// file and is never touched here). Returns the paths deleted.
    @discardableResult
    public func prune(keep: Int) -> [String] {
        let all = stepCheckpoints()
        let doomed = all.dropLast(max(keep, 1)).map(\.path)
        for path in doomed { try? FileManager.default.removeItem(atPath: path) }
        return doomed
    }

    /// Deletes temporary files that a killed writer left behind (see `AtomicFile`). Call it only
    /// when no other process writes to this run, e.g. when a run is resumed.
    public func removeAbandonedTemporaryFiles() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for name in names where AtomicFile.isTemporaryName(name) { try? FileManager.default.removeItem(atPath: file(name)) }
    }

    /// Claims the run for this process until it exits, so that two `charlstm train` processes
    /// never write one run (the second would interleave checkpoints and delete the first one's
    /// temporary files). The claim is an advisory lock (flock) on the folder itself, which the
    /// kernel drops when the process ends however it ends: a kill -9 leaves no stale lock.
    /// Returns false when another process holds the run.
    public func claimForThisProcess() -> Bool {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        // A folder that cannot be opened cannot be written either; that failure is reported
        // by the first write, with the reason.
        guard fd >= 0 else { return true }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return false
        }
        // The descriptor stays open on purpose: the lock lives as long as the process.
        return true
    }

    public static func isFolder(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
    }
}

/// Turns a CHECKPOINT argument into a file: a file is itself; a run folder means its best
/// checkpoint, or its newest one when no evaluation has produced a best yet.
public func resolveCheckpointArgument(_ argument: String) throws -> String {
    guard RunFolder.isFolder(argument) else {
        guard FileManager.default.fileExists(atPath: argument) else {
            throw CheckpointError(path: argument, problem: "no such checkpoint file or run folder")
        }
        return argument
    }
    let run = RunFolder(path: argument)
    if FileManager.default.fileExists(atPath: run.bestPath) { return run.bestPath }
    if let latest = run.latestCheckpoint { return latest }
    throw CheckpointError(path: argument, problem: "the folder holds no checkpoint (no best.safetensors or step-*.safetensors)")
}

/// The checkpoint to use when none is named: the best of the most recently updated run under
/// `root`, else the bundled model `bundled` if it exists.
public func defaultCheckpoint(root: String = "checkpoints", bundled: String? = nil) -> String? {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
    var newest: (Date, String)?
    for name in names where !name.hasPrefix(".") {
        let folder = (root as NSString).appendingPathComponent(name)
        guard RunFolder.isFolder(folder), let file = try? resolveCheckpointArgument(folder),
              let date = (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date
        else { continue }
        if newest == nil || date > newest!.0 { newest = (date, file) }
    }
    if let newest { return newest.1 }
    if let bundled, FileManager.default.fileExists(atPath: bundled) { return bundled }
    return nil
}
