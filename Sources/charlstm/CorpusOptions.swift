import ArgumentParser
import Tokenization
import Training

/// How `train` and `eval` read their text files: the token cache they go through, and what to
/// do with invalid UTF-8.
struct CorpusOptions: ParsableArguments {
    @Option(name: .customLong("cache-dir"), help: "Folder for the encoded corpora (token files built once per corpus and reused while its files are unchanged). Default: $\(TokenCache.environmentVariable), else \(TokenCache.defaultFolder).")
    var cacheDir: String?
    @Flag(name: .customLong("replace-invalid"), help: "Replace invalid UTF-8 in the text with U+FFFD instead of stopping.")
    var replaceInvalid = false

    var cache: TokenCache { TokenCache(folder: cacheDir ?? TokenCache.configuredFolder) }
    var invalidUTF8: InvalidUTF8Policy { replaceInvalid ? .replace : .fail }
}
