import ArgumentParser
import CharLSTM
import Checkpoints
import Tokenization
import Training

/// How `train` and `eval` read their text files: the token cache they go through, and what to
/// do with invalid UTF-8.
struct CorpusOptions: ParsableArguments {
    @OptionGroup var cacheFolder: CacheFolderOption
    @Flag(name: .customLong("replace-invalid"), help: "Replace invalid UTF-8 in the text with U+FFFD instead of stopping.")
    var replaceInvalid = false

    /// These files and folders, read with these options, for the library.
    func corpus(_ paths: [String]) -> Corpus {
        Corpus(paths, replacingInvalidUTF8: replaceInvalid, cacheFolder: cacheFolder.cacheDir)
    }

    var cache: TokenCache { cacheFolder.cache }
    func cache(forRun run: RunFolder) -> TokenCache { cacheFolder.cache(forRun: run) }
    var invalidUTF8: InvalidUTF8Policy { replaceInvalid ? .replace : .fail }
}
