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
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = (folder as NSString).appendingPathComponent(temporaryName(for: url.lastPathComponent))
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileWriteError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        var failure: String?
        data.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno)); return
                }
                written += n
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        if close(fd) != 0, failure == nil { failure = String(cString: strerror(errno)) }
        if failure == nil, rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw FileWriteError.cannotWrite(path: path, reason: failure)
        }
        syncFolder(folder)
    }

    /// The hidden name the bytes are written under before the rename: `.NAME.tmp-PID`.
    static func temporaryName(for name: String) -> String { ".\(name)\(temporaryMarker)\(getpid())" }
    private static let temporaryMarker = ".tmp-"

    /// Whether `name` is one of `temporaryName`'s, e.g. one left behind by a killed writer.
    public static func isTemporaryName(_ name: String) -> Bool {
        name.hasPrefix(".") && name.contains(temporaryMarker)
    }

    /// Flushes a folder's entries (a completed rename) to disk; best effort.
    public static func syncFolder(_ folder: String) {
        let fd = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
