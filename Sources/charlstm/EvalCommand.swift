import ArgumentParser
import CharLSTM
import Console
import Foundation

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
        let model = try TextModel(loading: checkpoint)
        // Notes ("token cache: encoded …", "… reusing …") go to stderr, as train's do: stdout keeps the result.
        let score = try model.score(reading.corpus(files), streams: streams, window: window, notes: Terminal.note)
        let path = model.info.file
        if json {
            let object: [String: Any] = ["checkpoint": path, "files": files, "characters": score.characters,
                                         "nats_per_char": score.natsPerCharacter, "bits_per_char": score.bitsPerCharacter]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print(String(format: "%.6f nats/char  %.6f bits/char  over %d characters  (%@)", score.natsPerCharacter,
                         score.bitsPerCharacter, score.characters, path))
        }
    }
}
