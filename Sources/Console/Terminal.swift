import Foundation

/// Facts about where output goes, and the one-line progress display used by long commands.
public enum Terminal {
    public static var stderrIsTerminal: Bool { isatty(2) == 1 }
    public static var stdoutIsTerminal: Bool { isatty(1) == 1 }
    public static var stdinIsTerminal: Bool { isatty(0) == 1 }

    /// The width in columns of the terminal on stdout; nil when stdout is no terminal or the
    /// terminal does not say (a size of 0, as a fresh pseudo-terminal has).
    public static var columns: Int? {
        var size = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    /// Writes a line to stderr.
    public static func note(_ message: String) {
        writeError(message + "\n")
    }

    /// Writes raw text to stderr with no newline. Best effort: a stderr that has gone away (a
    /// closed pipe, a dead terminal) must not end a training run, and FileHandle.write would
    /// trap on the error.
    public static func writeError(_ text: String) {
        var bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Foundation.write(2, $0.baseAddress! + written, $0.count - written) }
            if n > 0 { written += n } else if n < 0 && errno == EINTR { continue } else { return }
        }
    }
}

/// A status line rewritten in place on a terminal (`\r` + clear to end of line).
public struct ProgressLine {
    private var visible = false
    public init() {}

    public mutating func show(_ text: String) {
        Terminal.writeError("\r\u{1B}[K" + text)
        visible = true
    }

    /// Removes the status line so ordinary output can follow.
    public mutating func clear() {
        if visible { Terminal.writeError("\r\u{1B}[K") }
        visible = false
    }
}

/// Formats seconds as "1h02m", "3m05s" or "42s"; "?" when unknown, and a budget beyond a
/// million hours (say `--minutes 1e300`) as "∞".
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    guard seconds < 3.6e9 else { return "∞" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
    if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
    return "\(s)s"
}
