import ArgumentParser
import Checkpoints
import Training

/// `--cache-dir`: the token cache folder train, eval and cache use.
struct CacheFolderOption: ParsableArguments {
    @Option(name: .customLong("cache-dir"), help: "Folder for the encoded corpora (token files built once per corpus and reused while its files are unchanged). Default: $\(TokenCache.environmentVariable), else \(TokenCache.defaultFolder) (on train --resume, the .cache folder beside the run's folder).")
    var cacheDir: String?

    var cache: TokenCache { TokenCache(folder: cacheDir ?? TokenCache.configuredFolder) }

    /// The cache for the corpus of a resumed run: by default the one beside the run, wherever
    /// the command is run from.
    func cache(forRun run: RunFolder) -> TokenCache {
        TokenCache(folder: cacheDir ?? TokenCache.configuredFolder(otherwise: TokenCache.folder(besideRun: run.path)))
    }
}
