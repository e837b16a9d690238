import ArgumentParser
import Foundation
import Training

/// `charlstm cache`: see and reclaim the token cache, the encoded corpora that train and eval
/// keep so that a corpus is decoded once.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "List or clear the token cache: the encoded corpora train and eval keep.",
        discussion: """
        train and eval encode each corpus once into a token file in the cache folder \
        ($\(TokenCache.environmentVariable), else \(TokenCache.defaultFolder) under the folder they run in, or \
        --cache-dir; a resumed run uses the .cache folder beside its run folder), and reuse it while \
        the corpus files are unchanged. A token file whose corpus is gone or has changed is stale: \
        it is never used again. Clearing a token file that a running command reads is safe: it \
        keeps reading it, and the next run encodes its corpus again.
        """,
        subcommands: [CacheListCommand.self, CacheClearCommand.self])
}

struct CacheListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Each token file: its size, when it was last used, whether it is stale, and its corpus.")

    @OptionGroup var folder: CacheFolderOption
    @Flag(help: "Print as JSON.") var json = false

    func run() throws {
        let cache = folder.cache
        let entries = cache.entries()
        if json {
            let formatter = ISO8601DateFormatter()
            let files: [[String: Any]] = entries.map { entry in
                var object: [String: Any] = ["file": entry.path, "bytes": entry.bytes, "last_used": formatter.string(from: entry.lastUsed),
                                             "corpus": entry.corpusFiles, "state": entry.state.name]
                if let reason = entry.state.reason { object["reason"] = reason }
                return object
            }
            let object: [String: Any] = ["folder": cache.folder, "files": files, "bytes": entries.reduce(0) { $0 + $1.bytes }]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print(cache.summary(of: entries))
        let dates = DateFormatter()
        dates.dateFormat = "yyyy-MM-dd HH:mm"
        dates.locale = Locale(identifier: "en_US_POSIX")
        for entry in entries {
            print("  \((entry.path as NSString).lastPathComponent)  \(megabytes(entry.bytes)), last used \(dates.string(from: entry.lastUsed)), \(entry.state.description)")
            if let first = entry.corpusFiles.first {
                let more = entry.corpusFiles.count > 1 ? " and \(entry.corpusFiles.count - 1) more file\(entry.corpusFiles.count == 2 ? "" : "s")" : ""
                print("      \(first)\(more)")
            }
        }
    }
}

struct CacheClearCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clear",
        abstract: "Delete token files: all of them, or only the stale ones, or those unused for some days.",
        discussion: "A token file being written by a running command is never deleted. With both --stale and --unused-days, a file must be both to go.")

    @OptionGroup var folder: CacheFolderOption
    @Flag(help: "Only token files that can never be used again (their corpus is gone or changed, or they are damaged), and what killed writers left.")
    var stale = false
    @Option(name: .customLong("unused-days"), help: "Only token files not used for at least this many days (fractions allowed).")
    var unusedDays: Double?

    func validate() throws {
        if let unusedDays, !(unusedDays.isFinite && unusedDays >= 0) {
            throw ValidationError("--unused-days must be a number ≥ 0 (got \(unusedDays))")
        }
    }

    func run() throws {
        let cache = folder.cache
        let entries = cache.entries()
        let cutoff = unusedDays.map { Date().addingTimeInterval(-$0 * 86_400) }
        let doomed = entries.filter { entry in
            (!stale || entry.isStale) && (cutoff.map { entry.lastUsed <= $0 } ?? true)
        }
        let removed = try cache.remove(doomed)
        let kept = entries.count - removed.count
        print("removed \(removed.count) token file\(removed.count == 1 ? "" : "s") (\(megabytes(removed.reduce(0) { $0 + $1.bytes }))) from \(cache.folder); \(kept) kept")
    }
}

extension TokenCache {
    /// The folder's one-line summary: how many token files, how large, how much of it stale.
    func summary(of entries: [Entry]) -> String {
        guard !entries.isEmpty else { return "\(folder): no token files" }
        let stale = entries.filter(\.isStale)
        let staleNote = stale.isEmpty ? "" : " (\(stale.count) stale, \(megabytes(stale.reduce(0) { $0 + $1.bytes })))"
        return "\(folder): \(entries.count) token file\(entries.count == 1 ? "" : "s"), \(megabytes(entries.reduce(0) { $0 + $1.bytes }))\(staleNote)"
    }
}

extension TokenCache.Entry.State: CustomStringConvertible {
    /// As `cache list --json` names it.
    var name: String {
        switch self {
        case .upToDate: return "up_to_date"
        case .stale: return "stale"
        case .beingWritten: return "being_written"
        case .abandoned: return "abandoned"
        }
    }

    var reason: String? {
        if case .stale(let reason) = self { return reason }
        return nil
    }

    public var description: String {
        switch self {
        case .upToDate: return "up to date"
        case .stale(let reason): return "stale: \(reason)"
        case .beingWritten(let writer): return "being written by process \(writer)"
        case .abandoned: return "left by a writer that was killed"
        }
    }
}

func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
