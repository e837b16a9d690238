import Foundation

/// Where the REPL keeps its history across sessions: `$XDG_STATE_HOME/charlstm/history`,
/// with `~/.local/state` when XDG_STATE_HOME is unset or empty (the XDG base-directory rule).
public enum ReplHistory {
    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let state: String
        if let configured = environment["XDG_STATE_HOME"], configured.hasPrefix("/") {
            state = configured
        } else {
            let home = environment["HOME"] ?? NSHomeDirectory()
            state = (home as NSString).appendingPathComponent(".local/state")
        }
        return (state as NSString).appendingPathComponent("charlstm/history")
    }

    /// Lines kept in the history file.
    public static let limit = 1000
}
