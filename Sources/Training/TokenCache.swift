import Checkpoints
import Console
import Foundation
import Tokenization

/// Where encoded corpora are kept: one token file per corpus, so a corpus larger than memory is
/// decoded once and then read a window at a time by every run on it.
///
/// A cache file is named by its corpus's file paths and records each file's size and
/// modification time; a file that changed since, or a cache file that is truncated or damaged
/// (its size or its data checksum is off), is rebuilt, never trusted. Tokens are stored in the
/// corpus's own vocabulary (every character it holds, in code-point order), one byte each when
/// there are at most 256 characters, else two or four; a model with another vocabulary reads
/// them through a translation table (see `CorpusTokens.tokens(in:vocabulary:)`).
public struct TokenCache {
    public let folder: String

    /// `checkpoints/.cache`: next to the runs it serves (and out of the way of `generate`, which
    /// skips folders starting with a dot), overridden by `--cache-dir` or this variable.
    public static let defaultFolder = "checkpoints/.cache"
    public static let environmentVariable = "CHARLSTM_CACHE_DIR"
    /// Token files are named by a hash of their corpus's paths, with this ending.
    static let fileExtension = ".tokens"

    public init(folder: String) { self.folder = folder }

    /// The folder named by `CHARLSTM_CACHE_DIR`, else the default.
    public static var configuredFolder: String { configuredFolder(otherwise: defaultFolder) }

    /// The folder named by `CHARLSTM_CACHE_DIR`, else `fallback`.
    public static func configuredFolder(otherwise fallback: String) -> String {
        ProcessInfo.processInfo.environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 } ?? fallback
    }

    /// The default folder for a run's corpus: `.cache` beside the run folder, which for a new
    /// run `checkpoints/<run>` is the default itself, and for a run resumed from another working
    /// directory is still the cache it was encoded into.
    public static func folder(besideRun runFolder: String) -> String {
        let parent = (runFolder as NSString).deletingLastPathComponent
        return ((parent.isEmpty ? "." : parent) as NSString).appendingPathComponent(".cache")
    }

    /// The corpus's tokens: the cache file when it matches the files as they are now, else a
    /// new one, written atomically with a progress bar on a terminal. `report` gets one line
    /// saying which it was (and how fast the encoding went).
    public func open(_ paths: [String], invalidUTF8: InvalidUTF8Policy, report: (String) -> Void) throws -> CorpusTokens {
        let files = try CorpusScan.identify(paths)
        let identity = CorpusTokens.Identity(files, replacesInvalidUTF8: invalidUTF8 == .replace)
        let name = SHA256.hex(Data(([identity.replacesInvalidUTF8 ? "replace" : "fail"] + files.map(\.path))
            .joined(separator: "\n").utf8)).prefix(32)
        let path = (folder as NSString).appendingPathComponent(name + Self.fileExtension)
        if FileManager.default.fileExists(atPath: path) {
            switch CorpusTokens.open(path, expecting: identity) {
            case .success(let tokens):
                // The file's modification time says when it was last used (`charlstm cache list`);
                // best effort: a read-only cache is still usable.
                utimes(path, nil)
                report("token cache: reusing \(path) (\(tokens.count) characters)")
                return tokens
            case .failure(let problem):
                report("token cache: \(path) \(problem.description); encoding the corpus again")
            }
        }
        let started = Date()
        do {
            try build(path, files: files, identity: identity, invalidUTF8: invalidUTF8, paths: paths)
        } catch FileWriteError.cannotWrite(let file, let reason) {
            // A full disk or a read-only folder: the token file can go elsewhere.
            throw FileWriteError.cannotWrite(path: file, reason: reason + "; put the token cache elsewhere with --cache-dir DIR or $\(Self.environmentVariable)")
        }
        let seconds = Date().timeIntervalSince(started)
        // The data's checksum was computed while writing it: no need to read it all back.
        switch CorpusTokens.open(path, expecting: identity, checkingData: false) {
        case .success(let tokens):
            let bytes = Double(files.reduce(0) { $0 + $1.size })
            report(String(format: "token cache: encoded %.1f MB of text (%d characters, %d byte%@ each) in %.2f s, %.0f MB/s → %@",
                          bytes / 1e6, tokens.count, tokens.width, tokens.width == 1 ? "" : "s", seconds,
                          bytes / 1e6 / max(seconds, 1e-9), path))
            return tokens
        case .failure(let problem):
            throw FileWriteError.cannotWrite(path: path, reason: "the token file just written \(problem.description)")
        }
    }

    /// Two passes over the text: count the characters, then encode them with the vocabulary
    /// they make; the header is written last, when the data's checksum is known.
    private func build(_ path: String, files: [CorpusFile], identity: CorpusTokens.Identity,
                       invalidUTF8: InvalidUTF8Policy, paths: [String]) throws {
        let total = files.reduce(0) { $0 + $1.size }
        var bar = ByteProgress(total: total)
        bar.title = "token cache: reading the corpus (1/2)"
        let counts = try CorpusScan.countCharacters(files, invalidUTF8: invalidUTF8) { bar.show(done: $0) }
        bar.finish()
        let codePoints = counts.keys.sorted()
        guard !codePoints.isEmpty else { throw CorpusError.empty(paths: files.map(\.name)) }
        // Only now: a corpus that is refused (invalid UTF-8, empty) leaves no folder behind.
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw FileWriteError.cannotWrite(path: folder, reason: "cannot create the token cache folder")
        }
        var header = CorpusTokens.Header(identity: identity, width: CorpusTokens.width(forCharacters: codePoints.count),
                                         count: counts.values.reduce(0, +),
                                         characters: codePoints.map { [Int($0), counts[$0]!] }, checksum: TokenChecksum().hex)
        let writer = try AtomicFileWriter(path: path)
        try writer.append(header.encoded())
        var checksum = TokenChecksum()
        var bytesWritten = 0
        var tokenOf = [UInt32: Int32]()
        for (i, c) in codePoints.enumerated() { tokenOf[c] = Int32(i) }
        bar.title = "token cache: encoding (2/2)"
        try CorpusScan.encode(files, width: header.width, tokenOf: tokenOf, invalidUTF8: invalidUTF8,
                              progress: { bar.show(done: $0) }) { chunk in
            checksum.update(chunk)
            bytesWritten += chunk.count
            try writer.append(Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: chunk.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!),
                                   count: chunk.count, deallocator: .none))
        }
        bar.finish()
        // A file rewritten while it was read (an editor saving, a script still writing it) gives
        // tokens that match neither version: drop them and say so.
        let after = try CorpusScan.identify(paths)
        if bytesWritten != header.count * header.width || CorpusTokens.Identity(after, replacesInvalidUTF8: identity.replacesInvalidUTF8) != identity {
            writer.abandon()
            let changed = zip(files, after).first { $0.0.size != $0.1.size || $0.0.modified != $0.1.modified }?.0.name
            throw CorpusError.unreadable(path: changed ?? paths.joined(separator: ", "),
                                         reason: "it changed while it was being read; run again once it is complete")
        }
        header.checksum = checksum.hex
        // Same length as the placeholder (the checksum has a fixed width), so it overwrites it exactly.
        let bytes = header.encoded()
        let written = bytes.withUnsafeBytes { pwrite(writer.fileDescriptor, $0.baseAddress!, $0.count, 0) }
        if written != bytes.count { try writer.fail(String(cString: strerror(errno))) }
        try writer.commit()
    }
}

/// A bar on stderr for the token cache's two passes over the corpus (terminal only).
struct ByteProgress {
    let total: Int
    var title = ""
    private let live = Terminal.stderrIsTerminal
    private var line = ProgressLine()
    private var lastDrawn = Date.distantPast

    init(total: Int) { self.total = total }

    mutating func show(done: Int) {
        guard live, Date().timeIntervalSince(lastDrawn) >= 0.1 else { return }
        lastDrawn = Date()
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let width = 30, filled = Int(fraction * Double(width))
        line.show(String(format: "%@ %@ %3.0f%% · %.0f/%.0f MB", title,
                         String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled),
                         fraction * 100, Double(done) / 1e6, Double(total) / 1e6))
    }

    mutating func finish() { line.clear() }
}
