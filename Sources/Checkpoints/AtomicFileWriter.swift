import Foundation

/// A file written piece by piece that appears at its path only when complete: the bytes go to
/// a temporary file in the same folder; `commit()` flushes it to disk (fsync), renames it over
/// the target and syncs the folder. Until then, and after `abandon()`, the target is untouched.
/// Long outputs stream through it in constant memory.
public final class AtomicFileWriter {
    public let path: String
    /// Where to write the bytes (the temporary file), open for writing until commit or abandon.
    public let fileDescriptor: Int32
    private let temporaryPath: String
    private var open = true
    private var committed = false

    /// Creates the temporary file; fails when the folder cannot take it (missing, read-only)
    /// or when `path` is a folder.
    public init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw FileWriteError.cannotWrite(path: path, reason: "it is a folder")
        }
        self.path = path
        let folder = url.deletingLastPathComponent().path
        Self.removeAbandonedTemporaryFiles(of: url.lastPathComponent, in: folder)
        temporaryPath = (folder as NSString).appendingPathComponent(AtomicFile.temporaryName(for: url.lastPathComponent))
        fileDescriptor = Foundation.open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fileDescriptor >= 0 else { throw FileWriteError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
    }

    deinit { abandon() }

    /// Deletes the temporary files that earlier writers of the same target left when they were
    /// killed mid-write (`generate --output` and kill -9): their names end in a process id
    /// that no longer runs. A live writer's file is left alone.
    private static func removeAbandonedTemporaryFiles(of name: String, in folder: String) {
        let prefix = AtomicFile.temporaryPrefix(for: name)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? []
        for entry in names where entry.hasPrefix(prefix) {
            guard let pid = pid_t(entry.dropFirst(prefix.count)), pid != getpid(),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(entry))
        }
    }

    /// Appends bytes to the temporary file.
    public func append(_ data: Data) throws {
        try data.withUnsafeBytes { try append($0) }
    }

    /// Appends bytes to the temporary file.
    public func append(_ raw: UnsafeRawBufferPointer) throws {
        var written = 0
        while written < raw.count {
            let n = Foundation.write(fileDescriptor, raw.baseAddress! + written, raw.count - written)
            if n < 0 {
                if errno == EINTR { continue }
                try fail(String(cString: strerror(errno)))
            }
            written += n
        }
    }

    /// Makes the written bytes the file at `path`, durably.
    public func commit() throws {
        precondition(open, "commit after commit or abandon")
        if fsync(fileDescriptor) != 0 { try fail(String(cString: strerror(errno))) }
        open = false
        if close(fileDescriptor) != 0 { try fail(String(cString: strerror(errno))) }
        if rename(temporaryPath, path) != 0 { try fail(String(cString: strerror(errno))) }
        committed = true
        AtomicFile.syncFolder(URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    /// Drops the temporary file; the target stays as it was. Safe to call more than once.
    public func abandon() {
        if open { close(fileDescriptor) }
        open = false
        if !committed { unlink(temporaryPath) }
    }

    /// Abandons the file and throws the error naming `path`.
    public func fail(_ reason: String) throws -> Never {
        abandon()
        throw FileWriteError.cannotWrite(path: path, reason: reason)
    }
}
