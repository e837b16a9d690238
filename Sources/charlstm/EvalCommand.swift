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
        read through the token cache, as train reads its corpus, so it need not fit in memory. \
        --dynamic also reports the loss under dynamic evaluation (Krause et al., 2018): each \
        window is scored, then the weights (a copy; the checkpoint is not changed) take one \
        gradient step on it, so the model adapts to the text as it reads it. --precision bf16 \
        or int8 scores with the weights generate and repl multiply at that precision, one \
        character at a time as they write, so the loss it costs can be measured (compare \
        with fp32 at --streams 1 on held-out text).
        """)

    @Argument(help: "A checkpoint file or a run folder (its best checkpoint).") var checkpoint: String
    @Argument(help: "Text files or folders to evaluate on.") var files: [String]
    @Option(help: "Parallel streams.") var streams: Int = 50
    @Option(help: "Characters per forward window (with --dynamic: per adaptation step).") var window: Int = 256
    @Flag(help: "Also report the loss under dynamic evaluation, beside the static one.") var dynamic = false
    @Option(name: .customLong("dynamic-lr"), help: "With --dynamic: the Adam learning rate of each window's step (default 0.0002).")
    var dynamicLR: Float?
    @OptionGroup var precision: PrecisionOption
    @OptionGroup var reading: CorpusOptions
    @Flag(help: "Print the result as JSON.") var json = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one text file to evaluate on") }
        if streams < 1 || streams > 100_000 { throw ValidationError("--streams must be between 1 and 100000 (got \(streams))") }
        if window < 1 || window > 100_000 { throw ValidationError("--window must be between 1 and 100000 (got \(window))") }
        if let dynamicLR, !(dynamicLR.isFinite && dynamicLR > 0) { throw ValidationError("--dynamic-lr must be a positive number (got \(dynamicLR))") }
        if dynamicLR != nil && !dynamic { throw ValidationError("--dynamic-lr only applies with --dynamic") }
        if dynamic && precision.precision != .fp32 {
            throw ValidationError("--dynamic adapts fp32 weights: leave out --precision \(precision.name) or --dynamic")
        }
    }

    func run() throws {
        let model = try TextModel(loading: checkpoint)
        // Notes ("token cache: encoded …", "… reusing …") go to stderr, as train's do: stdout keeps the result.
        let rate = dynamicLR ?? TextModel.defaultAdaptationRate
        let score = try model.score(reading.corpus(files), streams: streams, window: window,
                                    adaptingAt: dynamic ? rate : nil, precision: Precision(rawValue: precision.name) ?? .fp32,
                                    notes: Terminal.note)
        let path = model.info.file
        if json {
            var object: [String: Any] = ["checkpoint": path, "files": files, "characters": score.characters, "precision": precision.name,
                                         "nats_per_char": score.natsPerCharacter, "bits_per_char": score.bitsPerCharacter]
            if let dynamicLoss = score.dynamicNatsPerCharacter {
                object["dynamic"] = ["nats_per_char": dynamicLoss, "bits_per_char": dynamicLoss / log(2), "learning_rate": Double(rate),
                                     "window": window]
            }
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print(String(format: "%.6f nats/char  %.6f bits/char  over %d characters  (%@, %@ weights)", score.natsPerCharacter,
                         score.bitsPerCharacter, score.characters, path, precision.name))
            if let dynamicLoss = score.dynamicNatsPerCharacter {
                print(String(format: "%.6f nats/char  %.6f bits/char  dynamic evaluation (Adam lr %g, a step every %d characters per stream): %+.4f nats/char",
                             dynamicLoss, dynamicLoss / log(2), rate, window, dynamicLoss - score.natsPerCharacter))
            }
        }
    }
}
