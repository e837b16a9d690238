import ArgumentParser
import Checkpoints
import Console
import Foundation
import Sampling

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Sample text from a checkpoint to stdout or --output FILE.",
        discussion: """
        The model reads --prompt, then writes --length more characters, each drawn from \
        softmax(logits / --temperature), restricted to --top-k and/or --top-p when given. \
        The prompt is part of the output (as in char-rnn) unless --no-prompt. Text streams to \
        stdout as it is generated; --output writes a file atomically instead (it appears only \
        when complete) with a progress bar on stderr. --count N writes N independent samples, \
        each headed by a line '----- sample i of N -----' (i from 1): they are written together, \
        one character of each per pass over the weights; the first streams out as it is \
        written, the others follow it when all end. Sample i (counting from 0) draws with seed \
        --seed + i: it is the text 'generate --seed <seed + i>' writes alone (in bf16 and int8 \
        character for character; in fp32 the several-row product can round a last bit \
        differently, which rarely changes a character). --precision bf16|int8 multiplies \
        weights of half or a quarter the bytes (faster on large models; see 'charlstm eval \
        --precision' for what it costs in loss). Ctrl-C stops early (with --output, \
        nothing is written). --stop ends each sample right after the first occurrence of a \
        stop string. --beam K writes the most likely text instead of a random one: a beam \
        search keeping K candidates, under the model's own probabilities (no temperature, \
        top-k or top-p); its text appears when the search ends (with --stop: the most likely \
        text that ends with a stop string or has the full length). With --json, each sample \
        comes with its log-probability: the sum, in nats, of log-softmax of the raw logits \
        (the model's own probability at temperature 1, not the tempered one) over the \
        generated characters, given the prompt.
        """)

    @OptionGroup var sampling: SamplingOptions
    @Option(help: "Write the text to this file (atomically, UTF-8) instead of stdout.") var output: String?
    @Option(parsing: .unconditional,
            help: "Independent samples to write, each from the prompt with a fresh state, all stepped together (the weights are read once per character for all of them); sample i (from 0) draws with seed --seed + i, so it is the text that seed writes alone.")
    var count: Int = 1
    @Flag(name: .customLong("no-prompt"), help: "Leave the prompt out of the output.") var noPrompt = false
    @Flag(name: .customLong("skip-unknown"), help: "Drop prompt characters the model does not know (with a warning) instead of stopping.")
    var skipUnknown = false
    @Flag(help: "Print the samples with the checkpoint, settings, seed and each sample's log-probability as one JSON object on stdout.")
    var json = false
    @Option(parsing: .unconditional, help: "Beam search with this many candidates (1 = greedy): the most likely text instead of a sampled one.")
    var beam: Int?

    static let defaultLength = 2000

    /// The most characters kept in memory: every sample with `--json`, the samples after the first with `--count`.
    static let maximumKeptCharacters = 100_000_000

    /// The widest beam: each character costs K model steps and K × V scores.
    static let maximumBeam = 1000
    /// The most characters × beams a search holds back-pointers for.
    static let maximumBeamCharacters = 100_000_000

    func validate() throws {
        if count < 1 { throw ValidationError("--count must be an integer ≥ 1, got \(count)") }
        if let beam {
            if beam < 1 || beam > Self.maximumBeam {
                throw ValidationError("--beam must be an integer from 1 to \(Self.maximumBeam), got \(beam)")
            }
            let given = [("--temperature", sampling.givenTemperature != nil), ("--top-k", sampling.topK != nil),
                         ("--top-p", sampling.topP != nil), ("--count", count > 1)].filter(\.1).map(\.0)
            if let option = given.first {
                throw ValidationError("--beam finds the one most likely text under the model's own probabilities, so it does not take \(option); leave one of them out")
            }
            let (total, overflow) = beam.multipliedReportingOverflow(by: sampling.length ?? Self.defaultLength)
            if overflow || total > Self.maximumBeamCharacters {
                throw ValidationError("--beam × --length must be at most \(Self.maximumBeamCharacters): a search keeps every candidate's history until it ends")
            }
        }
        let (total, overflow) = count.multipliedReportingOverflow(by: sampling.length ?? Self.defaultLength)
        if count > 1, !json, overflow || total > Self.maximumKeptCharacters {
            throw ValidationError("--count keeps the samples after the first in memory until all end: --count × --length must be at most \(Self.maximumKeptCharacters) characters")
        }
        if json {
            if overflow || total > Self.maximumKeptCharacters {
                throw ValidationError("--json keeps the samples in memory: --count × --length must be at most \(Self.maximumKeptCharacters) characters; write more with --output instead")
            }
        }
    }

    func run() throws {
        let path = try sampling.checkpointPath()
        let model = try sampling.samplingModel(path: path)
        let vocabulary = model.checkpoint.vocabulary
        let promptText = try sampling.promptText()
        let prompt = try sampling.promptTokens(promptText, for: vocabulary, skippingUnknown: skipUnknown)
        let stops = try sampling.stopStrings()
        let seed = sampling.seed ?? SamplingOptions.freshSeed()
        let length = sampling.length ?? Self.defaultLength
        let file = try output.map { try AtomicFileWriter(path: $0) }
        // Text goes to the file, or to stdout unless stdout carries the JSON.
        let text = file.map { TextOutput(fileDescriptor: $0.fileDescriptor, flushEachCharacter: false) }
            ?? (json ? nil : TextOutput.standardOutput())
        var progress = file != nil && Terminal.stderrIsTerminal ? GenerationProgress(total: count * length) : nil
        let shownPrompt = noPrompt ? "" : vocabulary.decode(prompt)
        // Each sample as written, prompt included unless --no-prompt: kept for --json, and for
        // the samples after the first, which are printed when the batch ends.
        var samples = [String.UnicodeScalarView](repeating: String.UnicodeScalarView(shownPrompt.unicodeScalars), count: count)
        var logProbabilities = [Double](), written = 0
        // One text alone, or all stepped together, each character reading the weights once for all.
        let generator = count == 1 ? model.generator(settings: sampling.settings, seed: seed) : nil
        let batch = count > 1 ? model.sampleBatch(count: count, settings: sampling.settings, firstSeed: seed) : nil
        // The rate reported counts the writing only, not loading or quantising.
        let started = DispatchTime.now().uptimeNanoseconds
        Interrupt.install(terminate: true)
        func header(_ index: Int) {
            guard count > 1 else { return }
            text?.finishLine()
            text?.write("----- sample \(index + 1) of \(count) -----\n")
        }
        /// Writes a character of sample `index`: the first streams out, the others wait.
        func emit(_ index: Int, _ character: Unicode.Scalar) {
            if index == 0 { text?.write(character) }
            if index > 0 || json { samples[index].append(character) }
            written += 1
        }

        header(0)
        text?.write(shownPrompt)
        if let generator {
            generator.stops = stops
            generator.measuresLogProbability = json
            generator.feed(prompt)
            if let beam {
                let found = BeamSearch(width: beam).run(on: generator, length: length) {
                    progress?.advance()
                    return !Interrupt.requested
                }
                found.tokens.forEach { emit(0, vocabulary.scalars[Int($0)]) }
                logProbabilities.append(found.logProbability)
            } else {
                generator.continueText(count: length) { character in
                    emit(0, character)
                    progress?.advance()
                    return !Interrupt.requested
                }
                logProbabilities.append(generator.logProbability)
            }
        } else if let batch {
            for drawer in batch.drawers {
                drawer.stops = stops
                drawer.measuresLogProbability = json
            }
            batch.feed(prompt)
            for _ in 0..<length where batch.activeCount > 0 && !Interrupt.requested {
                batch.next { index, character in
                    emit(index, character)
                    progress?.advance()
                    return !Interrupt.requested
                }
            }
            for index in 1..<count {
                header(index)
                text?.write(String(samples[index]))
            }
            logProbabilities = batch.drawers.map(\.logProbability)
        }
        progress?.finish()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        if file == nil, Terminal.stdoutIsTerminal { text?.finishLine() }
        text?.flush()
        if file == nil, let failure = text?.failure { throw RuntimeFailure("cannot write to standard output (\(failure))") }
        if Interrupt.requested {
            file?.abandon()
            Terminal.note("charlstm: interrupted" + (output.map { "; nothing written to \($0)" } ?? ""))
            throw ExitCode(Interrupt.exitStatus)
        }
        if let file, let output {
            if let failure = text?.failure { try file.fail(failure) }
            try file.commit()
            Terminal.note(String(format: "charlstm: wrote %d characters to %@ (%.0f chars/s)",
                                 written, output, Double(written) / max(seconds, 1e-9)))
        }
        if json {
            try printJSON(path: path, prompt: promptText, seed: seed, samples: samples.map(String.init),
                          logProbabilities: logProbabilities)
        }
    }

    func printJSON(path: String, prompt: String, seed: UInt64, samples: [String], logProbabilities: [Double]) throws {
        func number(_ x: Float) -> Double { Double("\(x)") ?? Double(x) }
        let object: [String: Any] = [
            "checkpoint": path, "prompt": prompt, "prompt_file": sampling.promptFile.map { $0 as Any } ?? NSNull(),
            "include_prompt": !noPrompt, "stop": sampling.stop, "beam": beam.map { $0 as Any } ?? NSNull(),
            "log_probabilities": logProbabilities,
            "length": sampling.length ?? Self.defaultLength, "count": count,
            "temperature": beam == nil ? number(sampling.temperature) : NSNull(),
            "top_k": sampling.topK.map { $0 as Any } ?? NSNull(),
            "top_p": sampling.topP.map { number($0) as Any } ?? NSNull(),
            "seed": seed, "output": output.map { $0 as Any } ?? NSNull(), "samples": samples,
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
        print(String(decoding: data, as: UTF8.self))
    }
}
