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
        each headed by a line '----- sample i of N -----'. Ctrl-C stops early (with --output, \
        nothing is written).
        """)

    @OptionGroup var sampling: SamplingOptions
    @Option(help: "Write the text to this file (atomically, UTF-8) instead of stdout.") var output: String?
    @Option(parsing: .unconditional, help: "Independent samples to write, each from the prompt with a fresh state.") var count: Int = 1
    @Flag(name: .customLong("no-prompt"), help: "Leave the prompt out of the output.") var noPrompt = false
    @Flag(name: .customLong("skip-unknown"), help: "Drop prompt characters the model does not know (with a warning) instead of stopping.")
    var skipUnknown = false
    @Flag(help: "Print the samples with the checkpoint, settings and seed used as one JSON object on stdout.") var json = false

    static let defaultLength = 2000

    /// The most characters `--json` holds: its samples are kept in memory until the end.
    static let maximumJSONCharacters = 100_000_000

    func validate() throws {
        if count < 1 { throw ValidationError("--count must be an integer ≥ 1, got \(count)") }
        if json {
            let (total, overflow) = count.multipliedReportingOverflow(by: sampling.length ?? Self.defaultLength)
            if overflow || total > Self.maximumJSONCharacters {
                throw ValidationError("--json keeps the samples in memory: --count × --length must be at most \(Self.maximumJSONCharacters) characters; write more with --output instead")
            }
        }
    }

    func run() throws {
        let path = try sampling.checkpointPath()
        let generator = try sampling.makeGenerator(path: path)
        let prompt = try sampling.promptTokens(for: generator, skippingUnknown: skipUnknown)
        let length = sampling.length ?? Self.defaultLength
        let file = try output.map { try AtomicFileWriter(path: $0) }
        // Text goes to the file, or to stdout unless stdout carries the JSON.
        let text = file.map { TextOutput(fileDescriptor: $0.fileDescriptor, flushEachCharacter: false) }
            ?? (json ? nil : TextOutput.standardOutput())
        var progress = file != nil && Terminal.stderrIsTerminal ? GenerationProgress(total: count * length) : nil
        var samples = [String]()
        let started = DispatchTime.now().uptimeNanoseconds
        Interrupt.install(terminate: true)

        for index in 0..<count {
            if count > 1 {
                text?.finishLine()
                text?.write("----- sample \(index + 1) of \(count) -----\n")
            }
            generator.reset()
            generator.feed(prompt)
            var sample = String.UnicodeScalarView()
            if !noPrompt {
                let promptText = generator.vocabulary.decode(prompt)
                text?.write(promptText)
                if json { sample.append(contentsOf: promptText.unicodeScalars) }
            }
            generator.continueText(count: length) { character in
                text?.write(character)
                if json { sample.append(character) }
                progress?.advance()
                return !Interrupt.requested
            }
            samples.append(String(sample))
            if Interrupt.requested { break }
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
                                 count * length, output, Double(count * length) / max(seconds, 1e-9)))
        }
        if json { try printJSON(path: path, seed: generator.seed, samples: samples) }
    }

    func printJSON(path: String, seed: UInt64, samples: [String]) throws {
        func number(_ x: Float) -> Double { Double("\(x)") ?? Double(x) }
        let object: [String: Any] = [
            "checkpoint": path, "prompt": sampling.prompt, "include_prompt": !noPrompt,
            "length": sampling.length ?? Self.defaultLength, "count": count,
            "temperature": number(sampling.temperature),
            "top_k": sampling.topK.map { $0 as Any } ?? NSNull(),
            "top_p": sampling.topP.map { number($0) as Any } ?? NSNull(),
            "seed": seed, "output": output.map { $0 as Any } ?? NSNull(), "samples": samples,
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
        print(String(decoding: data, as: UTF8.self))
    }
}
