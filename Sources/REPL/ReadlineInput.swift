import CReadline
import Console
import Foundation

/// The one type that talks to GNU readline: line editing, history kept in a file, tab completion
/// of commands (and of paths after `:load` and `:save`), and Ctrl-C clearing the line.
///
/// It uses readline's callback interface around `poll`, so that Ctrl-C (seen through
/// `Interrupt`, with readline's own signal handling off) can abandon the line being typed and
/// start a fresh prompt, as shells do; plain `readline()` would restart the same line.
public final class ReadlineInput {
    private let prompt: String
    private let historyPath: String

    /// The line the callback received (nil at end of input) and whether it has fired: readline
    /// calls back through a C function, which cannot capture, so these are static.
    nonisolated(unsafe) private static var received: String?
    nonisolated(unsafe) private static var finished = false
    nonisolated(unsafe) private static var completions: [String] = []

    public init(prompt: String, historyPath: String) {
        self.prompt = prompt
        self.historyPath = historyPath
        rl_readline_name = UnsafePointer(strdup("charlstm"))
        rl_catch_signals = 0
        rl_attempted_completion_function = { text, start, _ in ReadlineInput.complete(text, start: Int(start)) }
        using_history()
        stifle_history(Int32(ReplHistory.limit))
        read_history(historyPath)
    }

    /// The next line typed, without its newline; nil at the end of input (Ctrl-D on an empty line).
    public func readLine() -> String? {
        Self.received = nil
        Self.finished = false
        Interrupt.clear()
        rl_callback_handler_install(prompt) { line in
            ReadlineInput.received = line.map { String(cString: $0) }
            ReadlineInput.finished = true
            free(line)
            // Removing the handler here stops readline from showing the prompt again while the
            // line is being answered.
            rl_callback_handler_remove()
        }
        while !Self.finished {
            var input = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            let ready = poll(&input, 1, -1)
            if Interrupt.requested {
                Interrupt.clear()
                // Ctrl-C at the prompt: abandon what was typed and start a fresh line.
                rl_replace_line("", 0)
                fputs("\n", stdout)
                fflush(stdout)
                rl_on_new_line()
                rl_redisplay()
                continue
            }
            if ready > 0 { rl_callback_read_char() }
        }
        if let line = Self.received, !line.trimmingCharacters(in: .whitespaces).isEmpty,
           line != history_get(history_base + history_length - 1).map({ String(cString: $0.pointee.line) }) {
            add_history(line)
        }
        return Self.received
    }

    /// Writes the history file (its folder is created if need be). Returns a problem, or nil.
    public func saveHistory() -> String? {
        let folder = (historyPath as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            return "cannot keep the history in \(folder): \(error.localizedDescription)"
        }
        let status = write_history(historyPath)
        return status == 0 ? nil : "cannot write the history to \(historyPath): \(String(cString: strerror(status)))"
    }

    /// Completes a command name at the start of the line; after `:load ` or `:save `, paths
    /// (readline's own filename completion); elsewhere nothing, since text is free.
    private static func complete(_ text: UnsafePointer<CChar>?, start: Int) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        let line = String(cString: rl_line_buffer)
        let word = text.map { String(cString: $0) } ?? ""
        if start > 0, line.hasPrefix(":load ") || line.hasPrefix(":save ") {
            rl_attempted_completion_over = 0
            return nil
        }
        rl_attempted_completion_over = 1
        guard start == 0 else { return nil }
        completions = ReplCommands.completions(of: word)
        return rl_completion_matches(word) { _, state in
            let index = Int(state)
            return index < ReadlineInput.completions.count ? strdup(ReadlineInput.completions[index]) : nil
        }
    }
}
