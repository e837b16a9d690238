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
    var invalidUTF8: InvalidUTF8Policy { replacesInvalidUTF8 ? .replace : .fail }
}
