import Foundation

public enum FileWriteError: Error, CustomStringConvertible {
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotWrite(let path, let reason): return "\(path): cannot write it (\(reason))"
        }
    }
}

/// Writes files so that a crash, a kill or a full disk at any instant leaves either the old
/// file or the complete new one, never a mixture: the bytes go to a temporary file in the same
/// folder, which is flushed to disk (fsync), renamed over the target, and the folder is synced
/// so the rename itself survives a power cut.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let writer = try AtomicFileWriter(path: path)
        try writer.append(data)
        try writer.commit()
    }

    /// The hidden name the bytes are written under before the rename: `.NAME.tmp-PID`.
    static func temporaryName(for name: String) -> String { temporaryPrefix(for: name) + "\(getpid())" }
    static func temporaryPrefix(for name: String) -> String { ".\(name)\(temporaryMarker)" }
    private static let temporaryMarker = ".tmp-"

    /// Whether `name` is one of `temporaryName`'s, e.g. one left behind by a killed writer.
    public static func isTemporaryName(_ name: String) -> Bool {
        name.hasPrefix(".") && name.contains(temporaryMarker)
    }

    /// The file a temporary name will become (`NAME` of `.NAME.tmp-PID`), and the process writing it.
    public static func parseTemporaryName(_ name: String) -> (target: String, writer: Int32)? {
        guard isTemporaryName(name), let marker = name.range(of: temporaryMarker, options: .backwards),
              let pid = Int32(name[marker.upperBound...]) else { return nil }
        return (String(name[name.index(after: name.startIndex) ..< marker.lowerBound]), pid)
    }

    /// Flushes a folder's entries (a completed rename) to disk; best effort.
    public static func syncFolder(_ folder: String) {
        let fd = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
