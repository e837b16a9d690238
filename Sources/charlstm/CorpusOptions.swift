import ArgumentParser
import Checkpoints
import Tokenization
import Training

/// How `train` and `eval` read their text files: the token cache they go through, and what to
/// do with invalid UTF-8.
struct CorpusOptions: ParsableArguments {
    @OptionGroup var cacheFolder: CacheFolderOption
    @Flag(name: .customLong("replace-invalid"), help: "Replace invalid UTF-8 in the text with U+FFFD instead of stopping.")
    var replaceInvalid = false

    var cache: TokenCache { cacheFolder.cache }
    func cache(forRun run: RunFolder) -> TokenCache { cacheFolder.cache(forRun: run) }
    var invalidUTF8: InvalidUTF8Policy { replaceInvalid ? .replace : .fail }
}
