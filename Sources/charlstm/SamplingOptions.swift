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
    @Option(parsing: .unconditional, help: "Text to start from: the model reads it first and continues it.") var prompt: String = ""
    @Option(parsing: .unconditional, help: "Characters to generate after the prompt (default 2000 in generate, 400 in the REPL).") var length: Int?
    @Option(parsing: .unconditional, help: "Softmax temperature, ≥ 0: lower is safer, higher is wilder; 0 is greedy argmax.")
    var temperature: Float = 0.8
    @Option(name: .customLong("top-k"), parsing: .unconditional, help: "Draw only from the k most likely characters (ties with the k-th included).")
    var topK: Int?
    @Option(name: .customLong("top-p"), parsing: .unconditional, help: "Draw only from the most likely characters whose probability reaches p, in (0, 1].")
    var topP: Float?
    @Option(help: "Random seed: the same checkpoint, prompt, options and seed give the same text (default: a fresh random seed).")
    var seed: UInt64?

    /// Where `charlstm` looks for a model when no run exists under checkpoints/ and none is named.
    static let bundledModelPath = "checkpoints/bundled/best.safetensors"

    func validate() throws {
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

    /// Loads the model and sets it up to sample with these options.
    func makeGenerator(path: String) throws -> TextGenerator {
        try SamplingModel(path: path).generator(settings: settings, seed: seed ?? Self.freshSeed())
    }

    /// A seed for when none is given: different every run (and reported, so a run can be repeated).
    static func freshSeed() -> UInt64 { UInt64.random(in: 0...UInt64(Int64.max)) }

    /// The prompt as tokens; unknown characters are an error naming them, or with
    /// `skippingUnknown` dropped with a warning on stderr.
    func promptTokens(for generator: TextGenerator, skippingUnknown: Bool) throws -> [Int32] {
        do {
            let (tokens, skipped) = try generator.tokens(for: prompt, skippingUnknown: skippingUnknown)
            if !skipped.isEmpty {
                Terminal.note("charlstm: warning: left out prompt characters the model does not know: " + describeCharacterCounts(skipped))
            }
            return tokens
        } catch let error as VocabularyError {
            throw UsageError("--prompt: \(error); remove them or pass --skip-unknown")
        }
    }
}
