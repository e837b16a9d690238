import ArgumentParser
import Console
import Foundation
import REPL
import Sampling

struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "Interactive sampler over a checkpoint, with readline editing and history.",
        discussion: """
        Type text and press Enter: the model reads it and writes --length characters on, live. \
        An empty line writes more from where it stopped. Commands start with ':' (:help lists \
        them); Ctrl-C stops the output, Ctrl-D or :quit leaves. The history is kept in \
        $XDG_STATE_HOME/charlstm/history (default ~/.local/state/charlstm/history). With stdin \
        not a terminal, lines are read without a prompt and each answer ends with a newline. \
        --prompt, when given, is handled as the first line; --prompt-file is read as text (never \
        as a command) and continued. --stop strings end each answer right after they appear \
        (:stop changes them). --precision bf16|int8 writes with weights of half or a quarter \
        the bytes (the banner and :info say which are in use; :load keeps the precision).
        """)

    @OptionGroup var sampling: SamplingOptions

    static let defaultLength = 400

    func validate() throws {
        // The same bound as :len, so a turn always ends.
        if let length = sampling.length, length > ReplCommands.maximumLength {
            throw ValidationError("--length must be an integer from 0 to \(ReplCommands.maximumLength) in the REPL, got \(length)")
        }
    }

    func run() throws {
        let path = try sampling.checkpointPath()
        let model = try sampling.samplingModel(path: path)
        let state = ReplState(settings: sampling.settings, length: sampling.length ?? Self.defaultLength,
                              seed: sampling.seed ?? SamplingOptions.freshSeed(), stops: try sampling.stopStrings())
        let promptFileText = try sampling.promptFile.map { _ in try sampling.promptText() }
        let session = ReplSession(model: model, state: state, output: .standardOutput())
        Interrupt.install(secondExits: false)
        /// The prompt option's turn; false when it ended the session (`--prompt :quit`).
        func startingTurn() -> Bool {
            if let promptFileText { session.respond(to: promptFileText); return true }
            guard let prompt = sampling.prompt, !prompt.isEmpty else { return true }
            return session.handle(prompt)
        }
        guard Terminal.stdinIsTerminal else {
            // A script or a pipe: no prompt, no banner, no line editing.
            guard startingTurn() else { return }
            while let line = Swift.readLine(strippingNewline: true), session.handle(line) {}
            return
        }
        let input = ReadlineInput(prompt: "> ", historyPath: ReplHistory.path())
        print(session.banner(width: Terminal.columns ?? 80))
        var going = startingTurn()
        while going, let line = input.readLine() {
            going = session.handle(line)
        }
        if going { print() }  // Ctrl-D leaves the cursor after the prompt
        if let problem = input.saveHistory() { Terminal.note("charlstm: " + problem) }
    }
}
