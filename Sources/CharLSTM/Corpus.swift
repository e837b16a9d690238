import Checkpoints
import Foundation
import Tokenization
import Training

/// Text to train on or to score: files and folders (every text file below a folder, in
/// sorted order), read as UTF-8 through the token cache, so it need not fit in memory.
public struct Corpus: Sendable, Equatable {
    /// The files and folders, in order.
    public var paths: [String]
    /// Replace invalid UTF-8 with U+FFFD instead of failing with its byte offset.
    public var replacesInvalidUTF8: Bool
    /// Where encoded corpora are kept, built once and reused while the files are unchanged
    /// (nil: `$CHARLSTM_CACHE_DIR`, else `checkpoints/.cache`).
    public var cacheFolder: String?

    /// A corpus of these files and folders.
    public init(_ paths: [String], replacingInvalidUTF8: Bool = false, cacheFolder: String? = nil) {
        self.paths = paths
        replacesInvalidUTF8 = replacingInvalidUTF8
        self.cacheFolder = cacheFolder
    }

    var cache: TokenCache { TokenCache(folder: cacheFolder ?? TokenCache.configuredFolder) }

    /// The cache for a resumed run's corpus: by default the one beside the run folder,
    /// wherever the program runs from.
    func cache(besideRun run: RunFolder) -> TokenCache {
        TokenCache(folder: cacheFolder ?? TokenCache.configuredFolder(otherwise: TokenCache.folder(besideRun: run.path)))
    }

    /// The paths as a run records them (standardized), and where each is now.
    var recorded: (paths: [String], locations: [CorpusLocation]?) {
        // Unreadable paths record no locations: reading the corpus reports them next.
        (paths.map { ($0 as NSString).standardizingPath }, try? paths.map(CorpusLocation.of))
    }
    var invalidUTF8: InvalidUTF8Policy { replacesInvalidUTF8 ? .replace : .fail }
}
