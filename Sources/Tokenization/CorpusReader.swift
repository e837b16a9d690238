import Foundation

/// What to do with bytes that are not valid UTF-8.
public enum InvalidUTF8Policy: Sendable {
    /// Stop with `CorpusError.invalidUTF8` naming the file and byte offset.
    case fail
    /// Replace each maximal invalid sequence with U+FFFD, as `String(decoding:)` does.
    case replace
}

public enum CorpusError: Error, CustomStringConvertible, Equatable {
    case notFound(path: String)
    case unreadable(path: String, reason: String)
    case invalidUTF8(file: String, byteOffset: Int)
    case noTextFiles(paths: [String])
    case empty(paths: [String])

    public var description: String {
        switch self {
        case .notFound(let path):
            return "\(path): no such file or folder"
        case .unreadable(let path, let reason):
            return "\(path): cannot read it (\(reason))"
        case .invalidUTF8(let file, let offset):
            return "\(file): invalid UTF-8 at byte offset \(offset); convert the file to UTF-8, "
                + "or pass --replace-invalid to replace bad bytes with U+FFFD"
        case .noTextFiles(let paths):
            return "\(paths.joined(separator: ", ")): no text files found (binary and hidden files are skipped)"
        case .empty(let paths):
            return "\(paths.joined(separator: ", ")): the corpus is empty; give it some text to learn from"
        }
    }
}

/// Reads a corpus: text files and folders, decoded from UTF-8 into Unicode scalars.
public enum CorpusReader {
    /// The files a corpus consists of: each file argument itself, and for each folder every
    /// non-hidden, non-binary regular file below it in sorted path order. Symbolic links to
    /// folders are followed once; a link that leads back into a folder already walked is skipped.
    /// A file argument must be a regular file (not a pipe or a device).
    public static func files(in paths: [String]) throws -> [String] {
        var result = [String]()
        var visitedFolders = Set<String>()
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw CorpusError.notFound(path: path)
            }
            if isFolder.boolValue {
                try walk(path, into: &result, visited: &visitedFolders)
            } else if isRegularFile(path) {
                result.append(path)
            } else {
                throw CorpusError.unreadable(path: path, reason: "it is not a regular file but a pipe, socket or device; save the text to a file first")
            }
        }
        return result
    }

    private static func walk(_ folder: String, into result: inout [String], visited: inout Set<String>) throws {
        guard visited.insert(canonicalPath(folder)).inserted else { return }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
            throw CorpusError.unreadable(path: folder, reason: "cannot list the folder")
        }
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = (folder as NSString).appendingPathComponent(name)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { continue }
            if isFolder.boolValue {
                try walk(path, into: &result, visited: &visited)
            } else if isRegularFile(path), try !looksBinary(path) {
                result.append(path)
            }
        }
    }

    /// Whether `path` (after symbolic links) is a regular file. Pipes, sockets and devices in
    /// a folder are skipped: opening a pipe that has no writer would block forever.
    private static func isRegularFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
    }

    /// The path with every symbolic link resolved, as the kernel resolves it. (Foundation's
    /// `resolvingSymlinksInPath` on Linux resolves a relative link such as `up -> ..` against
    /// the wrong folder, so a walk through it never recognised a folder it had seen.)
    static func canonicalPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// A file is taken for binary when its first 8 KiB hold a NUL byte (as git and grep decide).
    private static func looksBinary(_ path: String) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CorpusError.unreadable(path: path, reason: "cannot open it for reading")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 8192)) ?? Data()
        return head.contains(0)
    }

    /// Reads and decodes every file of the corpus, concatenated in order.
    public static func read(_ paths: [String], invalidUTF8: InvalidUTF8Policy = .fail) throws -> [Unicode.Scalar] {
        let files = try files(in: paths)
        guard !files.isEmpty else { throw CorpusError.noTextFiles(paths: paths) }
        var scalars = [Unicode.Scalar]()
        for file in files { try readFile(file, invalidUTF8: invalidUTF8, appendingTo: &scalars) }
        guard !scalars.isEmpty else { throw CorpusError.empty(paths: paths) }
        return scalars
    }

    /// Reads and decodes one file, appending its characters to `scalars`.
    public static func readFile(_ file: String, invalidUTF8: InvalidUTF8Policy = .fail,
                                appendingTo scalars: inout [Unicode.Scalar]) throws {
        let data: Data
        // Read, not memory-mapped: a mapped file that shrinks while it is decoded (the user
        // rewrites the corpus as training starts) kills the process with SIGBUS.
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            var isFolder: ObjCBool = false
            if !FileManager.default.fileExists(atPath: file, isDirectory: &isFolder) { throw CorpusError.notFound(path: file) }
            if isFolder.boolValue { throw CorpusError.unreadable(path: file, reason: "it is a folder, not a file") }
            throw CorpusError.unreadable(path: file, reason: (error as NSError).localizedDescription)
        }
        scalars.reserveCapacity(scalars.count + data.count)
        try data.withUnsafeBytes { raw in
            try UTF8Decoder.decode(raw.bindMemory(to: UInt8.self), file: file, policy: invalidUTF8) {
                scalars.append($0)
            }
        }
    }
}

/// A strict UTF-8 decoder that knows where it is: it rejects overlong forms, surrogates and
/// values above U+10FFFF, and reports the byte offset of the first bad sequence.
public enum UTF8Decoder {
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>, file: String, policy: InvalidUTF8Policy,
                              _ emit: (Unicode.Scalar) -> Void) throws {
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 { emit(Unicode.Scalar(b0)); i += 1; continue }
            let (length, value) = sequence(at: i, in: bytes)
            if length > 0 {
                emit(Unicode.Scalar(value)!)
                i += length
            } else {
                if policy == .fail { throw CorpusError.invalidUTF8(file: file, byteOffset: i) }
                emit("\u{FFFD}")
                i += -length
            }
        }
    }

    /// The multi-byte sequence starting at `i`: (its length, its value), or (−k, 0) when the
    /// k ≥ 1 bytes starting there form a maximal invalid prefix.
    @inline(__always)
    static func sequence(at i: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (Int, UInt32) {
        let b0 = bytes[i]
        let length: Int
        var value: UInt32
        var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: length = 2; value = UInt32(b0 & 0x1F)
        case 0xE0: length = 3; value = UInt32(b0 & 0x0F); lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3; value = UInt32(b0 & 0x0F)
        case 0xED: length = 3; value = UInt32(b0 & 0x0F); upper = 0x9F
        case 0xF0: length = 4; value = UInt32(b0 & 0x07); lower = 0x90
        case 0xF1...0xF3: length = 4; value = UInt32(b0 & 0x07)
        case 0xF4: length = 4; value = UInt32(b0 & 0x07); upper = 0x8F
        default: return (-1, 0)
        }
        for k in 1..<length {
            guard i + k < bytes.count else { return (-k, 0) }
            let b = bytes[i + k]
            let (lo, hi) = k == 1 ? (lower, upper) : (UInt8(0x80), UInt8(0xBF))
            guard b >= lo && b <= hi else { return (-k, 0) }
            value = value << 6 | UInt32(b & 0x3F)
        }
        return (length, value)
    }
}
