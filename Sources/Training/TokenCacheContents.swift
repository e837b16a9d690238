import Checkpoints
import Foundation

/// What a token cache folder holds, for `charlstm cache list` and `charlstm cache clear`: each
/// token file with its size, when it was last used (its modification time: set when it is
/// built and each time a run or an eval reuses it), the corpus files it was encoded from, and
/// whether it can still serve them.
extension TokenCache {
    public struct Entry {
        public enum State: Equatable {
            /// Its corpus files are where they were, unchanged (by size and modification time).
            case upToDate
            /// It can never be used as it is: a corpus file is gone or changed (the next run on
            /// it encodes it again), or the file is damaged or from another version.
            case stale(reason: String)
            /// A token file being written right now by the process `writer`: never removed.
            case beingWritten(writer: Int32)
            /// What a writer that was killed left behind.
            case abandoned
        }
        public var path: String
        public var bytes: Int
        public var lastUsed: Date
        /// The corpus files it was encoded from (absolute paths), empty when unknown.
        public var corpusFiles: [String]
        public var state: State

        /// Whether `cache clear --stale` removes it.
        public var isStale: Bool {
            switch state {
            case .stale, .abandoned: return true
            case .upToDate, .beingWritten: return false
            }
        }
    }

    /// The token files in the folder, oldest use first; none when the folder does not exist.
    public func entries() -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.compactMap(entry(named:)).sorted { $0.lastUsed < $1.lastUsed }
    }

    private func entry(named name: String) -> Entry? {
        let path = (folder as NSString).appendingPathComponent(name)
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        let lastUsed = Date(timeIntervalSince1970: TimeInterval(status.st_mtim.tv_sec) + TimeInterval(status.st_mtim.tv_nsec) / 1e9)
        let bytes = Int(status.st_size)
        if let temporary = AtomicFile.parseTemporaryName(name) {
            guard temporary.target.hasSuffix(Self.fileExtension) else { return nil }
            // kill(pid, 0) asks whether the process exists without signalling it.
            let alive = kill(temporary.writer, 0) == 0 || errno == EPERM
            return Entry(path: path, bytes: bytes, lastUsed: lastUsed, corpusFiles: [],
                         state: alive ? .beingWritten(writer: temporary.writer) : .abandoned)
        }
        guard name.hasSuffix(Self.fileExtension), !name.hasPrefix(".") else { return nil }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return Entry(path: path, bytes: bytes, lastUsed: lastUsed, corpusFiles: [], state: .stale(reason: "it cannot be read"))
        }
        defer { try? handle.close() }
        switch CorpusTokens.readHeader(handle, size: bytes) {
        case .failure(let problem):
            return Entry(path: path, bytes: bytes, lastUsed: lastUsed, corpusFiles: [], state: .stale(reason: "it \(problem)"))
        case .success(let (header, _)):
            let files = header.identity.files
            return Entry(path: path, bytes: bytes, lastUsed: lastUsed, corpusFiles: files.map(\.path),
                         state: header.version == CorpusTokens.Header.version ? Self.state(of: files)
                             : .stale(reason: "it was written by another version of charlstm"))
        }
    }

    /// Up to date while every corpus file is as it was when the cache was built.
    private static func state(of files: [CorpusTokens.Identity.File]) -> Entry.State {
        for file in files {
            var status = stat()
            guard stat(file.path, &status) == 0 else { return .stale(reason: "\(file.path) is gone") }
            let modified = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
            if Int(status.st_size) != file.size || modified != file.modified {
                return .stale(reason: "\(file.path) has changed since")
            }
        }
        return .upToDate
    }

    /// Deletes the entries (a file being written is never deleted) and returns those deleted.
    /// A run reading a deleted token file keeps reading it: the data stays until it closes it.
    public func remove(_ entries: [Entry]) throws -> [Entry] {
        var removed = [Entry]()
        for entry in entries {
            if case .beingWritten = entry.state { continue }
            guard unlink(entry.path) == 0 || errno == ENOENT else {
                throw FileWriteError.cannotWrite(path: entry.path, reason: "cannot delete it (\(String(cString: strerror(errno))))")
            }
            removed.append(entry)
        }
        return removed
    }
}
