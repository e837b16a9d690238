import ArgumentParser
import Checkpoints
import Console
import Foundation
import Sampling
import Tokenization
import Training

/// The options `generate` and `repl` share: which model, what prompt, how to sample.
struct SamplingOptions: ParsableArguments {
    @Option(help: "A checkpoint file or a run folder (default: the best checkpoint of the newest run in checkpoints/, else the bundled model).")
    var checkpoint: String?
    @Option(parsing: .unconditional, help: "Text to start from: the model reads it first and continues it.") var prompt: String?
    @Option(name: .customLong("prompt-file"), help: "Read the text to start from from this UTF-8 file instead (any length).")
    var promptFile: String?
    @Option(parsing: .unconditional, help: "Characters to generate after the prompt (default 2000 in generate, 400 in the REPL).") var length: Int?
    @Option(name: .customLong("temperature"), parsing: .unconditional,
            help: "Softmax temperature, ≥ 0: lower is safer, higher is wilder; 0 is greedy argmax (default 0.8).")
    var givenTemperature: Float?
    @Option(name: .customLong("top-k"), parsing: .unconditional, help: "Draw only from the k most likely characters (ties with the k-th included).")
    var topK: Int?
    @Option(name: .customLong("top-p"), parsing: .unconditional, help: "Draw only from the most likely characters whose probability reaches p, in (0, 1].")
    var topP: Float?
    @Option(help: "Random seed: the same checkpoint, prompt, options and seed give the same text (default: a fresh random seed).")
    var seed: UInt64?
    @Option(parsing: .unconditionalSingleValue,
            help: "End the text right after this string (repeatable; \\n is a line break, \\t a tab, \\\\ a backslash). It may begin in the prompt but must end in the generated text.")
    var stop: [String] = []
    @Option(help: "Adapt a copy of the model to this UTF-8 text first (one pass of dynamic evaluation's gradient steps over it), then write in its style; the checkpoint is not changed.")
    var adapt: String?
    @OptionGroup var precision: PrecisionOption

    /// Where `charlstm` looks for a model when no run exists under checkpoints/ and none is named.
    static let bundledModelPath = "checkpoints/bundled/best.safetensors"

    static let defaultTemperature: Float = 0.8

    var temperature: Float { givenTemperature ?? Self.defaultTemperature }

    func validate() throws {
        if prompt != nil && promptFile != nil { throw ValidationError("--prompt and --prompt-file both give a prompt: use one of them") }
        _ = try stopStrings()
        if let p = SamplingSettings.temperatureProblem(temperature) { throw ValidationError("--temperature " + p) }
        if let k = topK, let p = SamplingSettings.topKProblem(k) { throw ValidationError("--top-k " + p) }
        if let value = topP, let p = SamplingSettings.topPProblem(value) { throw ValidationError("--top-p " + p) }
        if let length, length < 0 { throw ValidationError("--length must be an integer ≥ 0, got \(length)") }
    }

    var settings: SamplingSettings { SamplingSettings(temperature: temperature, topK: topK, topP: topP) }

    /// The checkpoint file to load: the one named, else the default.
    func checkpointPath() throws -> String {
        if let checkpoint { return try resolveCheckpointArgument(checkpoint) }
        guard let found = defaultCheckpoint(root: "checkpoints", bundled: Self.bundledModelPath) else {
            throw UsageError("no checkpoint given and none found under checkpoints/: train one with 'charlstm train FILE', or pass --checkpoint")
        }
        return found
    }

    /// The checkpoint's model at `--precision`, adapted to the text of `--adapt` when given
    /// (saying on stderr how much better it then predicts that text).
    func samplingModel(path: String) throws -> SamplingModel {
        var model = try adaptedModel(path: path)
        model.precision = precision.precision
        return model
    }

    private func adaptedModel(path: String) throws -> SamplingModel {
        let loaded = try SamplingModel(path: path)
        guard let adapt else { return loaded }
        let text = try readText(adapt, option: "--adapt")
        let tokens: [Int32]
        do { tokens = try loaded.checkpoint.vocabulary.encode(text.unicodeScalars) } catch let error as VocabularyError {
            throw UsageError("--adapt \(adapt): \(error); the model can only adapt to text in its own characters")
        }
        guard tokens.count >= 2 else { throw UsageError("--adapt \(adapt): need at least 2 characters to adapt to") }
        var checkpoint = loaded.checkpoint
        checkpoint.model = loaded.checkpoint.model.adaptableCopy()
        // One stream, windows of 50: the text is read in order, with a step every 50 characters.
        let before = Evaluator(model: loaded.checkpoint.model, tokens: tokens, batch: 1, window: 50).meanLoss()
        let during = Evaluator(model: checkpoint.model, tokens: tokens, batch: 1, window: 50)
            .dynamicMeanLoss(learningRate: Evaluator.defaultAdaptationRate)
        let after = Evaluator(model: checkpoint.model, tokens: tokens, batch: 1, window: 50).meanLoss()
        Terminal.note(String(format: "adapted to %@ (%d characters): its loss %.4f → %.4f nats/char while reading it, %.4f after", adapt,
                             tokens.count, before, during, after))
        return SamplingModel(path: path, checkpoint: checkpoint)
    }

    /// A seed for when none is given: different every run (and reported, so a run can be repeated).
    static func freshSeed() -> UInt64 { UInt64.random(in: 0...UInt64(Int64.max)) }

    /// The `--stop` strings with their escapes read.
    func stopStrings() throws -> StopStrings {
        StopStrings(try stop.map { typed in
            switch StopStrings.unescape(typed) {
            case .success(let string): return string
            case .failure(let problem): throw ValidationError("--stop " + problem.description)
            }
        })
    }

    /// The prompt: `--prompt`, or the text of `--prompt-file`, or nothing.
    func promptText() throws -> String {
        guard let promptFile else { return prompt ?? "" }
        return try readText(promptFile, option: "--prompt-file")
    }

    /// The text of a file an option names, as UTF-8; a problem is one line naming the option.
    func readText(_ file: String, option: String) throws -> String {
        var scalars = [Unicode.Scalar]()
        do {
            try CorpusReader.readFile(file, appendingTo: &scalars)
        } catch CorpusError.invalidUTF8(let file, let offset) {
            throw UsageError("\(option) \(file): invalid UTF-8 at byte offset \(offset); convert the file to UTF-8")
        } catch let error as CorpusError {
            throw UsageError("\(option) \(error)")
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// Where the prompt comes from, as error messages name it.
    var promptSource: String { promptFile.map { "--prompt-file \($0)" } ?? "--prompt" }

    /// The prompt as tokens; unknown characters are an error naming them, or with
    /// `skippingUnknown` dropped with a warning on stderr.
    func promptTokens(_ prompt: String, for vocabulary: Vocabulary, skippingUnknown: Bool) throws -> [Int32] {
        do {
            let (tokens, skipped) = try vocabulary.promptTokens(for: prompt, skippingUnknown: skippingUnknown)
            if !skipped.isEmpty {
                Terminal.note("charlstm: warning: left out prompt characters the model does not know: " + describeCharacterCounts(skipped))
            }
            return tokens
        } catch let error as VocabularyError {
            throw UsageError("\(promptSource): \(error); remove them or pass --skip-unknown")
        }
    }
}
