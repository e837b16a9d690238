import ArgumentParser
import Checkpoints
import Console
import Foundation
import Kernels
import Tokenization
import Training

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Loss of a checkpoint on held-out text, in nats/char and bits/char.",
        discussion: """
        The text is cut into --streams equal parallel streams, each read from a fresh state to \
        its end (the last few characters that do not fill a stream are left out); the loss is \
        the mean over every prediction. --streams 1 reads the text as one sequence. The text is \
        read through the token cache, as train reads its corpus, so it need not fit in memory.
        """)

    @Argument(help: "A checkpoint file or a run folder (its best checkpoint).") var checkpoint: String
    @Argument(help: "Text files or folders to evaluate on.") var files: [String]
    @Option(help: "Parallel streams.") var streams: Int = 50
    @Option(help: "Characters per forward window.") var window: Int = 256
    @OptionGroup var reading: CorpusOptions
    @Flag(help: "Print the result as JSON.") var json = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one text file to evaluate on") }
        if streams < 1 || streams > 100_000 { throw ValidationError("--streams must be between 1 and 100000 (got \(streams))") }
        if window < 1 || window > 100_000 { throw ValidationError("--window must be between 1 and 100000 (got \(window))") }
    }

    func run() throws {
        Parallel.configure(threads: ProcessInfo.processInfo.activeProcessorCount)
        let path = try resolveCheckpointArgument(checkpoint)
        let loaded = try Checkpoint.read(from: path)
        // Notes ("token cache: encoded …", "… reusing …") go to stderr, as train's do: stdout keeps the result.
        let text = try reading.cache.open(files, invalidUTF8: reading.invalidUTF8, report: Terminal.note)
        let tokens: CachedTokens
        do { tokens = try text.tokens(in: 0..<text.count, vocabulary: loaded.vocabulary) } catch let error as VocabularyError {
            throw UsageError("\(files.joined(separator: ", ")): \(error)")
        }
        guard tokens.count >= 2 else { throw UsageError("\(files.joined(separator: ", ")): need at least 2 characters to evaluate") }
        let evaluator = Evaluator(model: loaded.model, tokens: tokens, batch: streams, window: window)
        let loss = evaluator.meanLoss()
        let bits = loss / log(2)
        if json {
            let object: [String: Any] = ["checkpoint": path, "files": files, "characters": evaluator.predictionCount,
                                         "nats_per_char": loss, "bits_per_char": bits]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print(String(format: "%.6f nats/char  %.6f bits/char  over %d characters  (%@)", loss, bits,
                         evaluator.predictionCount, path))
        }
    }
}
