import ArgumentParser
import Checkpoints
import Tokenization
import Training

/// How `train` and `eval` read their text files: the token cache they go through, and what to
/// do with invalid UTF-8.
struct CorpusOptions: ParsableArguments {
    @Option(name: .customLong("cache-dir"), help: "Folder for the encoded corpora (token files built once per corpus and reused while its files are unchanged). Default: $\(TokenCache.environmentVariable), else \(TokenCache.defaultFolder) (on --resume, the .cache folder beside the run's folder).")
    var cacheDir: String?
    @Flag(name: .customLong("replace-invalid"), help: "Replace invalid UTF-8 in the text with U+FFFD instead of stopping.")
    var replaceInvalid = false

    var cache: TokenCache { TokenCache(folder: cacheDir ?? TokenCache.configuredFolder) }

    /// The cache for the corpus of a resumed run: by default the one beside the run, wherever
    /// the command is run from.
    func cache(forRun run: RunFolder) -> TokenCache {
        TokenCache(folder: cacheDir ?? TokenCache.configuredFolder(otherwise: TokenCache.folder(besideRun: run.path)))
    }
    var invalidUTF8: InvalidUTF8Policy { replaceInvalid ? .replace : .fail }
}
