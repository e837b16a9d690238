import Checkpoints
import Console
import Foundation
import Sampling
import Tokenization

/// A REPL session: the model, its state and the settings, driven one line at a time. It does
/// what `ReplCommands.command` decides — generating, loading, saving — and writes the results:
/// generated text and answers to `output` (stdout), problems to stderr. It never reads input
/// itself, so the same session serves a terminal and a pipe.
public final class ReplSession {
    public private(set) var state: ReplState
    public private(set) var model: SamplingModel
    private var generator: TextGenerator
    private let output: TextOutput
    /// What the model wrote in the last turn, for `:save`.
    private var lastOutput = String.UnicodeScalarView()
    /// The last list `:next` or `:pick` showed, for `:pick N`.
    private var lastChoices = [Unicode.Scalar]()

    public init(model: SamplingModel, state: ReplState, output: TextOutput) {
        self.model = model
        self.state = state
        self.output = output
        generator = model.generator(settings: state.settings, seed: state.seed)
        generator.stops = state.stops
    }

    /// The model and the settings, shown at the start, on as few lines as fit a terminal
    /// `width` columns wide (each line at most that wide, so none wraps).
    public func banner(width: Int) -> String {
        fittedLines(["charlstm repl", model.path, model.summary, model.precisionSummary] + state.summaryParts + [":help for commands"],
                    width: width)
            .joined(separator: "\n")
    }

    /// Handles one line of input; returns false when the session should end.
    public func handle(_ line: String) -> Bool {
        let outcome = ReplCommands.command(line: line, state: &state)
        generator.settings = state.settings
        generator.stops = state.stops
        switch outcome {
        case .generate(let text):
            respond(to: text)
        case .continueText:
            write(count: state.length)
        case .show(let message):
            say(message)
        case .reseed(let message):
            generator.reseed(state.seed)
            say(message)
        case .next(let count):
            showChoices(count)
        case .pick(let picked):
            pick(picked)
        case .reset:
            generator.reset()
            lastChoices.removeAll()
            say("state reset")
        case .load(let argument):
            load(argument)
        case .save(let path):
            save(to: path)
        case .info:
            say(information)
        case .quit:
            return false
        case .error(let message):
            complain(message)
        }
        return true
    }

    /// A turn: reads `text` into the model (as text, never as a command) and writes on from it.
    public func respond(to text: String) {
        read(text)
        write(count: state.length)
    }

    /// Lists the `count` most likely next characters, most likely first:
    ///
    ///     after "the kin":
    ///       1  g  0.912345
    ///
    /// Probabilities are rounded down, so the ones shown never add up to more than 1.
    private func showChoices(_ count: Int) {
        let choices = generator.choices(count)
        lastChoices = choices.map(\.character)
        let context = generator.recentText(choiceContext)
        var lines = [context.isEmpty ? "at the start:" : "after \"\(VisibleCharacters.showInline(context))\":"]
        let rankWidth = String(choices.count).count
        for (rank, choice) in choices.enumerated() {
            let shown = String(rank + 1).leftPadded(to: rankWidth)
            let probability = String(format: "%.6f", (choice.probability * 1e6).rounded(.down) / 1e6)
            lines.append("  \(shown)  \(VisibleCharacters.show(choice.character))  \(probability)")
        }
        say(lines.joined(separator: "\n"))
    }

    /// Characters of context `:next` shows before its list.
    private let choiceContext = 30

    /// Reads one character chosen by `:pick`, then shows the next choices (as many as before).
    private func pick(_ picked: PickedCharacter) {
        let character: Unicode.Scalar
        switch picked {
        case .rank(let rank):
            guard rank >= 1 && rank <= lastChoices.count else {
                return complain(lastChoices.isEmpty ? ":pick \(rank): no list to pick from yet; :next shows one (or quote a digit: '\(rank)')"
                                : ":pick \(rank): the last list has ranks 1 to \(lastChoices.count)")
            }
            character = lastChoices[rank - 1]
        case .character(let typed):
            character = typed
        }
        guard let token = generator.vocabulary.index(of: character) else {
            return complain(":pick: the model does not know \(visibleCharacter(character))")
        }
        generator.feed([token])
        showChoices(lastChoices.isEmpty ? ReplCommands.defaultChoices : lastChoices.count)
    }

    /// Reads typed text into the model; characters it does not know are named and skipped.
    private func read(_ text: String) {
        // Safe to skip unknown characters here, so this never throws.
        guard let (tokens, skipped) = try? generator.tokens(for: text, skippingUnknown: true) else { return }
        if !skipped.isEmpty {
            complain("skipped characters the model does not know: " + describeCharacterCounts(skipped))
        }
        generator.feed(tokens)
    }

    /// Streams up to `count` characters; Ctrl-C stops early and the session carries on.
    private func write(count: Int) {
        lastOutput.removeAll(keepingCapacity: true)
        Interrupt.clear()
        generator.continueText(count: count) { character in
            output.write(character)
            lastOutput.append(character)
            return !Interrupt.requested
        }
        Interrupt.clear()
        output.finishLine()
        output.flush()
    }

    private func load(_ argument: String) {
        do {
            let path = try resolveCheckpointArgument((argument as NSString).expandingTildeInPath)
            var loaded = try SamplingModel(path: path)
            loaded.precision = model.precision
            model = loaded
            generator = loaded.generator(settings: state.settings, seed: state.seed)
            generator.stops = state.stops
            lastOutput.removeAll()
            lastChoices.removeAll()
            say("loaded \(path): \(loaded.summary), \(loaded.precisionSummary)")
        } catch {
            complain("\(error); still using \(model.path)")
        }
    }

    private func save(to argument: String) {
        let path = (argument as NSString).expandingTildeInPath
        do {
            try AtomicFile.write(Data(String(lastOutput).utf8), to: path)
            say("wrote \(lastOutput.count) characters to \(path)")
        } catch {
            complain("\(error)")
        }
    }

    private var information: String {
        let m = model.checkpoint.model.configuration
        var lines = ["checkpoint  \(model.path)",
                     "model       \(m.layers)×\(m.hiddenSize) \(m.cell.displayName), embedding \(m.embeddingSize), \(model.checkpoint.model.parameterCount) parameters",
                     "vocabulary  \(m.vocabularySize) characters",
                     "weights     \(model.precision.rawValue), \(SamplingModel.formatBytes(model.weightBytesPerCharacter)) read per character"]
        if let p = model.checkpoint.position {
            let best = p.bestValidationLoss.map { String(format: "%.4f nats/char (%.4f bits/char)", $0, $0 / log(2)) } ?? "none"
            lines.append("trained     step \(p.step), epoch \(p.epochNumber); best val \(best)")
        }
        return lines.joined(separator: "\n")
    }

    private func say(_ message: String) {
        output.write(message)
        output.finishLine()
        output.flush()
    }

    private func complain(_ message: String) {
        output.flush()
        Terminal.note(message)
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
